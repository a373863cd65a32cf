/**
 * Pending timers as data: reservation timeouts and routing-step timeouts (task TTLs have their own
 * indexed heap in the engine, since a task's TTL must go when the task is assigned). A binary
 * min-heap by (due time, insertion order). Timers are never removed early: when one fires, the
 * engine checks it still applies (the reservation is still pending, the task is still in that step),
 * which keeps cancellation O(1) and the heap the only structure to persist.
 */
export type TimerKind = "reservation-timeout" | "step-timeout";

export interface Timer {
  at: number;
  kind: TimerKind;
  /** Reservation SID or task SID. */
  ref: string;
  /** For step timeouts: the step token the task had when the timer was set. */
  token: number;
  seq: number;
}

export class TimerQueue {
  private readonly heap: Timer[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  add(at: number, kind: TimerKind, ref: string, token = 0): void {
    this.heap.push({ at, kind, ref, token, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /** The earliest due time, if any timer is pending. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest timer if it is due at or before `now`. */
  popDue(now: number): Timer | undefined {
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Every pending timer, for persistence and inspection. */
  all(): readonly Timer[] {
    return this.heap;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && this.less(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && this.less(heap[r]!, heap[best]!)) best = r;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  }
}
