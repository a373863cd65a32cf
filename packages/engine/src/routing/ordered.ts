import BTreeExport from "sorted-btree";

// sorted-btree is CommonJS with a `default` export: Node's ESM loader hands us the module object,
// bundlers (Vitest) hand us the class. Take the class either way.
const BTree = (BTreeExport as unknown as { default?: typeof BTreeExport }).default ?? BTreeExport;

/**
 * An ordered index over sorted-btree (a B+ tree: O(log n) insert and delete, in-order visits from
 * the smallest key). The comparator must give a total order, and a key must not change while it is
 * in the index: callers remove an entry before changing what its key is made of.
 */
export class OrderedIndex<K, V> {
  private readonly tree: InstanceType<typeof BTree<K, V>>;
  /** Scratch pair for lookups, so reading the head allocates nothing. */
  private readonly pair = [] as unknown as [K, V];

  constructor(compare: (a: K, b: K) => number) {
    this.tree = new BTree<K, V>(undefined, compare);
  }

  get size(): number {
    return this.tree.size;
  }

  set(key: K, value: V): void {
    this.tree.set(key, value);
  }

  delete(key: K): void {
    this.tree.delete(key);
  }

  /** The value with the smallest key, in one descent. */
  first(): V | undefined {
    return this.tree.nextHigherPair(undefined, this.pair)?.[1];
  }

  /**
   * The first value, smallest key first, for which `accept` is true. Callers try `first()` on its
   * own beforehand when it is usually the answer (a queue's head task, the longest-idle worker): a
   * range walk costs far more than one lookup.
   */
  find(accept: (value: V) => boolean): V | undefined {
    let found: V | undefined;
    this.tree.forEachPair((_key, value) => {
      if (!accept(value)) return;
      found = value;
      return { break: true };
    });
    return found;
  }

  values(): IterableIterator<V> {
    return this.tree.values();
  }
}
