/**
 * How many SMS segments a body takes, as carriers count them (3GPP TS 23.038 and 23.040):
 * - GSM-7 when every character is in the GSM 03.38 alphabet: 160 septets in one segment; a longer
 *   message is split into segments of 153 (the rest carries the concatenation header). Characters of
 *   the extension table (`€ [ ] { } \ ^ ~ |` and form feed) take two septets, and a pair is never
 *   split across segments.
 * - UCS-2 otherwise: 70 UTF-16 code units in one segment, 67 per segment beyond; a surrogate pair
 *   (an emoji, say) is never split.
 */

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "\f^{}\\[~]|€";

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the body takes. */
  units: number;
}

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
};

export function countSegments(body: string): SegmentCount {
  const characters = [...body]; // by code point, so a surrogate pair stays one character
  const gsm = characters.every((c) => BASIC.has(c) || EXTENSION.has(c));
  const encoding: SmsEncoding = gsm ? "GSM-7" : "UCS-2";
  const sizes = characters.map((c) => (gsm ? (EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, part } = LIMITS[encoding];
  if (units <= single) return { encoding, segments: 1, units };
  // Greedy packing: a character that does not fit whole starts the next segment.
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, units };
}
