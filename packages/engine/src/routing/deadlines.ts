import { IndexedHeap } from "./heap.ts";

/** The links an item carries for the one `Deadlines` it can be in. */
export interface Scheduled<T> {
  prevDue: T | undefined;
  nextDue: T | undefined;
}

/**
 * The items sharing one span (time from scheduling to due), in due order. In the heap of heads exactly
 * when not empty; an empty list stays in `lists` for the span's next item (see MAX_SPANS).
 */
interface SpanList<T> {
  readonly span: number;
  head: T | undefined;
  tail: T | undefined;
  /** Place in the heap of heads. */
  slot: number;
}

/**
 * Spans whose lists are kept once empty. A reservation is usually accepted within its command, so the
 * reservation timeouts' list empties and refills on every decision; keeping it saves a Map delete and
 * insert each time. Beyond this many spans (each task may set its own TTL), empty lists are dropped.
 */
const MAX_SPANS = 64;

/**
 * Items that fall due, earliest first, for deadlines whose spans repeat: every task of a workspace
 * usually has the same TTL, every reservation of a step the same timeout. Items of one span are kept
 * in a doubly linked list through the items themselves, in due order; the earliest item overall is
 * the earliest of the lists' heads, which a small heap over the lists finds.
 *
 * Costs: the clock only moves forward, so an item is due no earlier than the last of its span and
 * `add` appends it in O(1) (a clock that stepped back makes it walk back to its place); `remove` is
 * O(1) plus O(log spans) when it changes a list's head; `peek` is O(1). A binary heap over all items
 * cost O(log n) comparisons per add and remove, with a hundred thousand tasks waiting.
 *
 * Invariant: an item that is in is in the list for `span(item)`, and is that list's head exactly when
 * it has no `prevDue`; callers must not change an item's due time or span while it is in.
 */
export class Deadlines<T extends Scheduled<T>> {
  private readonly lists = new Map<number, SpanList<T>>();
  /**
   * The list used last, which is in `lists`. Spans repeat, so this is almost always the one wanted:
   * a Map lookup on every add and remove was four a routing decision.
   */
  private last: SpanList<T> | undefined = undefined;
  private readonly heads: IndexedHeap<SpanList<T>>;

  /**
   * @param span the item's span; items of equal span are listed together.
   * @param before a strict total order on items, by due time first: true when `a` falls due before `b`.
   * @param maxSpans how many lists to keep before emptied ones are dropped (tests set it low).
   */
  constructor(
    private readonly span: (item: T) => number,
    private readonly before: (a: T, b: T) => boolean,
    private readonly maxSpans = MAX_SPANS,
  ) {
    this.heads = new IndexedHeap<SpanList<T>>(
      (a, b) => before(a.head!, b.head!),
      (list) => list.slot,
      (list, slot) => (list.slot = slot),
    );
  }

  /** The item due first, if any. */
  peek(): T | undefined {
    return this.heads.peek()?.head;
  }

  /** Puts an item that is not in the structure into it. */
  add(item: T): void {
    const span = this.span(item);
    let list = this.listOf(span);
    if (list === undefined) {
      this.lists.set(span, (list = { span, head: undefined, tail: undefined, slot: -1 }));
      this.last = list;
    }
    if (list.head === undefined) {
      item.prevDue = item.nextDue = undefined;
      list.head = list.tail = item;
      this.heads.push(list);
      return;
    }
    // Walk back from the last item to the first that is not due after the new one: it goes after it.
    let after = list.tail;
    while (after !== undefined && this.before(item, after)) after = after.prevDue;
    if (after === undefined) {
      item.prevDue = undefined;
      item.nextDue = list.head;
      list.head.prevDue = item;
      list.head = item;
      this.heads.update(list);
      return;
    }
    item.prevDue = after;
    item.nextDue = after.nextDue;
    if (after.nextDue) after.nextDue.prevDue = item;
    else list.tail = item;
    after.nextDue = item;
  }

  /** Takes an item out, if it is in. */
  remove(item: T): void {
    const list = this.listOf(this.span(item));
    if (list === undefined || (item.prevDue === undefined && list.head !== item)) return;
    const { prevDue: prev, nextDue: next } = item;
    item.prevDue = item.nextDue = undefined;
    if (next) next.prevDue = prev;
    else list.tail = prev;
    if (prev) {
      prev.nextDue = next;
      return;
    }
    list.head = next;
    if (next !== undefined) this.heads.update(list);
    else {
      this.heads.remove(list);
      if (this.lists.size > this.maxSpans) {
        this.lists.delete(list.span);
        if (this.last === list) this.last = undefined;
      }
    }
  }

  private listOf(span: number): SpanList<T> | undefined {
    if (this.last?.span === span) return this.last;
    const list = this.lists.get(span);
    if (list !== undefined) this.last = list;
    return list;
  }
}
