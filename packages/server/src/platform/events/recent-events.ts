import type { StoredEvent } from "./event-log.ts";

/**
 * The latest events this process committed, kept so that consumers woken by `appended` read them
 * from memory rather than each querying the database for the same rows.
 *
 * Invariant: the kept run of events is contiguous in seq, and every event before it is committed.
 * Appends commit in seq order (one SQLite writer; the Postgres advisory lock), but two appends on
 * different connections may be acknowledged in either order: an event past a gap after the run is
 * held `ahead`, and joins the run when the events of the gap arrive. A gap still open once none of
 * the appends that could fill it is under way (`settle`) is not ours to fill (another process
 * appended, or a failed append took positions): the run starts again after it. A read is answered here only when
 * it starts inside the run and finds something; otherwise the database answers, as before, so
 * events appended by another process are never hidden.
 */
export class RecentEvents {
  private events: StoredEvent[] = [];
  /**
   * Events committed past a gap after the run, by position, each with the number of the latest
   * append started when it was kept. Positions are handed out in commit order, so the events of a
   * gap were sent before the event after it was acknowledged, and appends are numbered before they
   * are sent: only appends numbered up to that event's `started` can fill the gap before it.
   */
  private readonly ahead = new Map<number, { event: StoredEvent; started: number }>();

  constructor(private readonly capacity: number) {}

  /** Keeps committed events; `started` is the number of the latest append started. */
  add(batch: StoredEvent[], started: number): void {
    for (const event of batch) {
      const last = this.events.at(-1);
      if (!last || event.seq === last.seq + 1) this.events.push(event);
      else if (event.seq > last.seq + 1) this.ahead.set(event.seq, { event, started });
      else this.events = [event]; // behind the run: not an order this process commits in
    }
    this.takeAhead();
    // Trim in halves, so trimming costs O(1) per event.
    if (this.events.length > 2 * this.capacity) this.events = this.events.slice(-this.capacity);
  }

  /**
   * `oldestUnderWay` is the number of the oldest append still under way (Infinity when none). While
   * no append that could fill the gap after the run is under way, the run starts again after it.
   * Returns whether it did.
   */
  settle(oldestUnderWay: number): boolean {
    let restarted = false;
    while (this.ahead.size > 0) {
      let first = Infinity;
      for (const seq of this.ahead.keys()) first = Math.min(first, seq);
      const { event, started } = this.ahead.get(first)!;
      if (oldestUnderWay <= started) break;
      this.events = [event];
      this.ahead.delete(first);
      this.takeAhead();
      restarted = true;
    }
    return restarted;
  }

  private takeAhead(): void {
    if (this.ahead.size === 0) return;
    for (let next = this.ahead.get(this.events.at(-1)!.seq + 1); next;) {
      this.ahead.delete(next.event.seq);
      this.events.push(next.event);
      next = this.ahead.get(next.event.seq + 1);
    }
  }

  /** The position of the newest event kept, if any. */
  last(): number | undefined {
    return this.events.at(-1)?.seq;
  }

  after(position: number, limit: number): StoredEvent[] | undefined {
    const first = this.events[0];
    if (!first || position < first.seq - 1) return undefined;
    const start = position - first.seq + 1;
    if (start >= this.events.length) return undefined;
    return this.events.slice(start, start + limit);
  }
}
