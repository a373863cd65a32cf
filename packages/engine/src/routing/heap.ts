/**
 * A binary min-heap that knows where each item sits, so an item can be removed in O(log n) when it
 * no longer needs to fire (a task assigned before its TTL). `position` and `setPosition` keep the
 * item's index on the item itself: no side table.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly less: (a: T, b: T) => boolean,
    private readonly position: (item: T) => number,
    private readonly setPosition: (item: T, index: number) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.setPosition(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes `item` if it is in the heap. */
  remove(item: T): void {
    const index = this.position(item);
    if (index >= 0 && this.items[index] === item) this.removeAt(index);
  }

  /** Restores the order after `item`'s key changed (it must be in the heap). */
  update(item: T): void {
    const index = this.position(item);
    this.down(index);
    this.up(index);
  }

  private removeAt(index: number): void {
    const removed = this.items[index]!;
    const last = this.items.pop()!;
    this.setPosition(removed, -1);
    if (index === this.items.length) return;
    this.items[index] = last;
    this.setPosition(last, index);
    this.down(index);
    this.up(index);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.setPosition(b, i);
    this.setPosition(a, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.items.length && this.less(this.items[l]!, this.items[best]!)) best = l;
      if (r < this.items.length && this.less(this.items[r]!, this.items[best]!)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
