/**
 * Array-backed stand-ins for Set and Map, for the small collections every worker carries (its
 * channels, queues and live reservations: a handful each). A JS Set or Map costs a hash table of
 * a few hundred bytes even when nearly empty, and an array grown by push reserves room for ~17
 * items; with ten thousand workers that is most of their memory. These keep exact-size arrays,
 * replaced on every change (so iterating while changing is safe), and start from a shared empty one.
 * Lookups are linear, which for a handful of items is as fast as hashing.
 */
const EMPTY: readonly never[] = Object.freeze([]);

export class SmallSet<T> implements Iterable<T> {
  private items: readonly T[] = EMPTY;

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.items.includes(item);
  }

  add(item: T): void {
    if (!this.items.includes(item)) this.items = [...this.items, item];
  }

  delete(item: T): void {
    if (this.items.includes(item))
      this.items = this.items.length === 1 ? EMPTY : this.items.filter((x) => x !== item);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}

/** A small map from a string key that each value carries itself. */
export class KeyedList<V> implements Iterable<V> {
  private items: readonly V[] = EMPTY;

  constructor(private readonly keyOf: (value: V) => string) {}

  get(key: string): V | undefined {
    for (const item of this.items) if (this.keyOf(item) === key) return item;
    return undefined;
  }

  set(value: V): void {
    const key = this.keyOf(value);
    this.items = [...this.items.filter((item) => this.keyOf(item) !== key), value];
  }

  delete(key: string): void {
    this.items = this.items.filter((item) => this.keyOf(item) !== key);
  }

  values(): Iterable<V> {
    return this.items;
  }

  [Symbol.iterator](): Iterator<V> {
    return this.items[Symbol.iterator]();
  }
}
