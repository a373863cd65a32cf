import { randomBytes } from "node:crypto";
import { assertPrefix, type Clock, type SidGenerator } from "@switchboard/engine";

/**
 * Random bytes drawn from the operating system a few kilobytes at a time: one call per 256 SIDs
 * instead of one per SID, which showed up on the task-creation path. Bytes are handed out once.
 */
const pool = { bytes: Buffer.alloc(0), offset: 0 };
function takeRandom(count: number): Buffer {
  if (pool.offset + count > pool.bytes.length) {
    pool.bytes = randomBytes(4096);
    pool.offset = 0;
  }
  pool.offset += count;
  return pool.bytes.subarray(pool.offset - count, pool.offset);
}

/** The production SID generator: 128 random bits per SID, so SIDs cannot be guessed or enumerated. */
export const randomSids: SidGenerator = {
  next(prefix) {
    assertPrefix(prefix);
    return prefix + takeRandom(16).toString("hex");
  },
};

/**
 * SIDs that sort by creation: 48 bits of milliseconds, then 80 random bits (still not guessable).
 * For rows written at a high rate into a table with a unique index on the SID — the event log: a
 * random key lands on a random page of the index, so each commit rewrote a page per event and
 * slowed as the log grew; a key that grows with time lands at the index's right edge.
 */
export function timeOrderedSids(clock: Clock): SidGenerator {
  return {
    next(prefix) {
      assertPrefix(prefix);
      const time = Math.min(Math.max(0, Math.floor(clock.now())), 2 ** 48 - 1);
      return prefix + time.toString(16).padStart(12, "0") + takeRandom(10).toString("hex");
    },
  };
}

/** A random secret of `bytes` bytes as lowercase hex (auth tokens, API key secrets). */
export function randomSecret(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}
