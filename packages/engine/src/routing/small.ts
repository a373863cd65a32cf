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

/** The items `keep` accepts, in order, in an array of exactly that size (the shared empty one if none). */
export function kept<T>(items: readonly T[], keep: (item: T) => boolean): readonly T[] {
  let count = 0;
  for (const item of items) if (keep(item)) count++;
  if (count === items.length) return items;
  if (count === 0) return EMPTY;
  const result = new Array<T>(count);
  let i = 0;
  for (const item of items) if (keep(item)) result[i++] = item;
  return result;
}

/** A small map from a string key that each value carries itself. */
export class KeyedList<V> implements Iterable<V> {
  private items: readonly V[] = EMPTY;

  constructor(private readonly keyOf: (value: V) => string) {}

  get(key: string): V | undefined {
    const { items } = this;
    for (let i = 0; i < items.length; i++) if (this.keyOf(items[i]!) === key) return items[i];
    return undefined;
  }

  set(value: V): void {
    const key = this.keyOf(value);
    this.items = appended(
      kept(this.items, (item) => this.keyOf(item) !== key),
      value,
    );
  }

  delete(key: string): void {
    this.items = kept(this.items, (item) => this.keyOf(item) !== key);
  }

  /** The values as they are now: a later change replaces the array, so it may change while this is read. */
  values(): readonly V[] {
    return this.items;
  }

  [Symbol.iterator](): Iterator<V> {
    return this.items[Symbol.iterator]();
  }
}
