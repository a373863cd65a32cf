/**
 * The links an item carries for the one waiting line it can be in at a time. Intrusive links make
 * joining and leaving a line O(1) without any per-entry allocation: a queue holds up to hundreds of
 * thousands of waiting tasks, and every routing decision takes one out and most put one in.
 */
export interface Linked<T> {
  /** The priority band the item is in, while it is in a line. */
  band: Band<T> | undefined;
  prevInLine: T | undefined;
  nextInLine: T | undefined;
}

/** The items of one priority, oldest first (`older` order). Never empty while in its line. */
export interface Band<T> {
  readonly priority: number;
  head: T | undefined;
  tail: T | undefined;
}

/**
 * Items in the order they are offered: higher priority first, then by age — oldest first, or newest
 * first for a LIFO line. A band per priority present, bands highest first; within a band a doubly
 * linked list kept in `older` order.
 *
 * Costs: `first` O(1); `remove` O(1) (plus O(bands) when a band empties); `add` O(bands) to find the
 * band, then O(1) when the item is newer than the band's newest or older than its oldest — which is
 * every new task, and every task re-entering with its original age behind younger ones — and a walk
 * from the newest end otherwise (a task whose virtual start time falls between others').
 */
export class WaitingLine<T extends Linked<T>> {
  /** Non-empty bands, highest priority first. Contact centers use a handful of priorities. */
  private readonly bands: Band<T>[] = [];
  private count = 0;

  /**
   * @param older a strict total order on the items' ages: true when `a` came before `b`.
   * @param newestFirst offer the newest of a band first (LIFO) instead of the oldest.
   */
  constructor(
    private readonly older: (a: T, b: T) => boolean,
    readonly newestFirst: boolean,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Puts an item that is in no line into this one, under `priority`. */
  add(item: T, priority: number): void {
    const band = this.bandFor(priority);
    item.band = band;
    this.count++;
    const { head, tail } = band;
    if (head === undefined || tail === undefined) {
      item.prevInLine = item.nextInLine = undefined;
      band.head = band.tail = item;
      return;
    }
    if (this.older(item, head)) {
      item.prevInLine = undefined;
      item.nextInLine = head;
      head.prevInLine = item;
      band.head = item;
      return;
    }
    // Walk back from the newest to the first item the new one is not older than: it goes after it.
    let after = tail;
    while (this.older(item, after)) after = after.prevInLine!;
    item.prevInLine = after;
    item.nextInLine = after.nextInLine;
    if (after.nextInLine) after.nextInLine.prevInLine = item;
    else band.tail = item;
    after.nextInLine = item;
  }

  /** Takes an item out of this line (it must be in it). */
  remove(item: T): void {
    const band = item.band!;
    const { prevInLine: prev, nextInLine: next } = item;
    if (prev) prev.nextInLine = next;
    else band.head = next;
    if (next) next.prevInLine = prev;
    else band.tail = prev;
    item.band = item.prevInLine = item.nextInLine = undefined;
    this.count--;
    if (band.head === undefined) {
      // Shifted by hand: `splice` allocates an array of what it removes, and a line of ready workers
      // loses its only band each time its last worker is offered a task.
      const { bands } = this;
      for (let i = bands.indexOf(band); i < bands.length - 1; i++) bands[i] = bands[i + 1]!;
      bands.pop();
    }
  }

  /** The item offered first. */
  first(): T | undefined {
    const band = this.bands[0];
    if (band === undefined) return undefined;
    return this.newestFirst ? band.tail : band.head;
  }

  /** The first item, in offer order, for which `accept` is true. */
  find(accept: (item: T) => boolean): T | undefined {
    for (const band of this.bands) {
      if (this.newestFirst) {
        for (let item = band.tail; item; item = item.prevInLine) if (accept(item)) return item;
      } else {
        for (let item = band.head; item; item = item.nextInLine) if (accept(item)) return item;
      }
    }
    return undefined;
  }

  /** Every item in offer order. The line must not change while this is being read. */
  *values(): IterableIterator<T> {
    for (const band of this.bands) {
      if (this.newestFirst) for (let item = band.tail; item; item = item.prevInLine) yield item;
      else for (let item = band.head; item; item = item.nextInLine) yield item;
    }
  }

  private bandFor(priority: number): Band<T> {
    const { bands } = this;
    let i = 0;
    while (i < bands.length && bands[i]!.priority > priority) i++;
    if (i < bands.length && bands[i]!.priority === priority) return bands[i]!;
    const band: Band<T> = { priority, head: undefined, tail: undefined };
    // Shifted by hand, as in `remove`, rather than with an allocating `splice`.
    bands.push(band);
    for (let j = bands.length - 1; j > i; j--) bands[j] = bands[j - 1]!;
    bands[i] = band;
    return band;
  }
}
