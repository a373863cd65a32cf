import type { Clock } from "@switchboard/engine";

export const systemClock: Clock = { now: () => Date.now() };

/** The instant `isoAt` formatted last, and its text. */
let lastAt = NaN;
let lastIso = "";

/**
 * Stored timestamps are ISO 8601 UTC strings with milliseconds ("2026-11-21T00:21:05.123Z"): fixed
 * width, so text order is time order on both SQLite and Postgres.
 */
export function isoAt(epochMs: number): string {
  // A write stamps many rows with the same instant (a batch of messages and their events): format
  // it once. (NaN never equals the last instant, so it still throws as toISOString does.)
  if (epochMs !== lastAt) {
    lastIso = new Date(epochMs).toISOString();
    lastAt = epochMs;
  }
  return lastIso;
}

/** The 2010-04-01 API writes dates as RFC 2822 ("Sat, 21 Nov 2026 00:21:05 +0000"). */
export function rfc2822(iso: string): string {
  return new Date(iso).toUTCString().replace("GMT", "+0000");
}

/** The v1 APIs write dates as ISO 8601 without milliseconds ("2026-11-21T00:21:05Z"). */
export function iso8601(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, "Z");
}
