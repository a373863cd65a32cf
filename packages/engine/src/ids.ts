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
  let counter = BigInt(start);
  return {
    next(prefix) {
      assertPrefix(prefix);
      const sid = flat(`${prefix}${counter.toString(16).padStart(32, "0")}`);
      counter += 1n;
      return sid;
    },
  };
}

export function assertPrefix(prefix: string): asserts prefix is SidPrefix {
  if (!PREFIX.test(prefix))
    throw new Error(`SID prefix must be two capital letters, got ${JSON.stringify(prefix)}`);
}

/**
 * A copy of `text` as one flat string. Concatenation and padStart build rope ("cons") strings that
 * keep their parts alive; SIDs are held by the hundred thousand, so they are stored flat.
 */
export function flat(text: string): string {
  return JSON.parse(`"${text}"`) as string;
}
