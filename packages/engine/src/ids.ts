/**
 * Twilio-style identifiers. A SID is a two-letter prefix naming the resource type (AC account,
 * SK API key, EV event, WS workspace, ...) followed by 32 lowercase hex digits.
 *
 * The domain never makes SIDs itself: a `SidGenerator` is injected, so the same inputs give the
 * same SIDs in property tests, replays and simulations, while the server uses random ones.
 */

export type SidPrefix = `${Uppercase<string>}`;

const SID_BODY = /^[0-9a-fA-F]{32}$/;
const PREFIX = /^[A-Z]{2}$/;

/** True when `value` is a well-formed SID, with the given prefix when one is named. */
export function isSid(value: unknown, prefix?: SidPrefix): value is string {
  if (typeof value !== "string" || value.length !== 34) return false;
  const head = value.slice(0, 2);
  if (prefix !== undefined ? head !== prefix : !PREFIX.test(head)) return false;
  return SID_BODY.test(value.slice(2));
}

export interface SidGenerator {
  /** A SID never returned before by this generator. */
  next(prefix: SidPrefix): string;
}

/**
 * A deterministic generator: SIDs count up from `start` per generator, so tests can predict them
 * (`XX00000000000000000000000000000001`, `...02`, ...). Ordering of SIDs follows creation order.
 */
export function sequentialSids(start = 1): SidGenerator {
  let counter = start;
  // The SID's character codes, made into a string in one call: a flat string in one allocation, and
  // no `toString(16)` or TextDecoder, each a call into the runtime on a path that makes two SIDs a
  // routing decision.
  const codes = new Array<number>(34).fill(DIGIT_CODES[0]!);
  const checked = new Set<string>();
  return {
    next(prefix) {
      if (!checked.has(prefix)) {
        assertPrefix(prefix);
        checked.add(prefix);
      }
      if (!Number.isSafeInteger(counter)) throw new Error("sequential SIDs exhausted");
      codes[0] = prefix.charCodeAt(0);
      codes[1] = prefix.charCodeAt(1);
      // The counter only grows, so its hex form never gets shorter: the digits left of it stay 0.
      for (let n = counter++, i = 33; n > 0; n = Math.floor(n / 16), i--) codes[i] = DIGIT_CODES[n % 16]!;
      return String.fromCharCode(...codes);
    },
  };
}

const DIGIT_CODES = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));

export function assertPrefix(prefix: string): asserts prefix is SidPrefix {
  if (!PREFIX.test(prefix))
    throw new Error(`SID prefix must be two capital letters, got ${JSON.stringify(prefix)}`);
}
