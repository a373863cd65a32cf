/**
 * Exact-size arrays for the small collections every worker carries (its channels, queues and live
 * reservations: a handful each). A JS Set or Map costs a hash table of a few hundred bytes even when
 * nearly empty; with ten thousand workers that is most of their memory. These arrays are replaced on
 * every change (so iterating while changing is safe) and start from a shared empty one. Lookups are
 * linear, which for a handful of items is as fast as hashing.
 */
export const EMPTY: readonly never[] = Object.freeze([]);

/*
 * Exact size matters: V8 builds the result of a spread (`[...items, x]`) or of `filter` by appending,
 * which reserves room for ~17 items (over 100 bytes unused per array), while an array made at its
 * final length (or a literal) holds just its items. `concat` would too, but it is a call into the
 * runtime: ~170 ns against ~20 ns for the copy below, and the routing path appends on every decision.
 */

/** `items` and then `item`, in an array of exactly that size. */
export function appended<T>(items: readonly T[], item: T): readonly T[] {
  const n = items.length;
  if (n === 0) return [item];
  const result = new Array<T>(n + 1);
  for (let i = 0; i < n; i++) result[i] = items[i]!;
  result[n] = item;
  return result;
}

/** `items` without `item`, in an array of exactly that size (the same array if `item` is not there). */
export function without<T>(items: readonly T[], item: T): readonly T[] {
  const index = items.indexOf(item);
  if (index < 0) return items;
  const n = items.length - 1;
  if (n === 0) return EMPTY;
  const result = new Array<T>(n);
  for (let i = 0; i < index; i++) result[i] = items[i]!;
  for (let i = index; i < n; i++) result[i] = items[i + 1]!;
  return result;
}
