import { IndexedHeap } from "./heap.ts";

/**
 * Pending timers as data: reservation timeouts and routing-step timeouts (task TTLs have their own
 * indexed heap in the engine, since a task's TTL must go when the task is assigned). Ordered by due
 * time, then insertion order. Timers are never removed early: when one fires, the engine checks it
 * still applies (the reservation is still pending, the task is still in that step), which keeps
 * cancellation O(1).
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
  /** Place in the heap. */
  slot: number;
}

export class TimerQueue {
  private readonly heap = new IndexedHeap<Timer>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
    (timer) => timer.slot,
    (timer, slot) => (timer.slot = slot),
  );
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  add(at: number, kind: TimerKind, ref: string, token = 0): void {
    this.heap.push({ at, kind, ref, token, seq: this.seq++, slot: -1 });
  }

  /** The earliest due time, if any timer is pending. */
  nextAt(): number | undefined {
    return this.heap.peek()?.at;
  }

  /** Removes and returns the earliest timer if it is due at or before `now`. */
  popDue(now: number): Timer | undefined {
    const top = this.heap.peek();
    return top && top.at <= now ? this.heap.pop() : undefined;
  }
}
