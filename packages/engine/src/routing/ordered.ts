import BTreeExport from "sorted-btree";

// sorted-btree is CommonJS with a `default` export: Node's ESM loader hands us the module object,
// bundlers (Vitest) hand us the class. Take the class either way.
const BTree = (BTreeExport as unknown as { default?: typeof BTreeExport }).default ?? BTreeExport;

/**
 * Ordered indexes over sorted-btree (a B+ tree: O(log n) insert and delete, in-order iteration
 * from the smallest key). Keys are small tuples compared element by element; every key ends with a
 * unique sequence number, so no two entries ever compare equal.
 */
export type Key = readonly number[];

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

export class OrderedIndex<V> {
  private readonly tree = new BTree<Key, V>(undefined, compareKeys);

  get size(): number {
    return this.tree.size;
  }

  set(key: Key, value: V): void {
    this.tree.set(key, value);
  }

  delete(key: Key): void {
    this.tree.delete(key);
  }

  first(): V | undefined {
    const key = this.tree.minKey();
    return key === undefined ? undefined : this.tree.get(key);
  }

  /** Values from the smallest key up; stop early by returning true from `visit`. */
  find(visit: (value: V) => boolean): V | undefined {
    for (const [, value] of this.tree.entries()) if (visit(value)) return value;
    return undefined;
  }

  values(): IterableIterator<V> {
    return this.tree.values();
  }
}
