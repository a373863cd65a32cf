import { IndexedHeap } from "./heap.ts";

/**
 * Pending routing-step timeouts, as data, ordered by due time, then by `seq`. (Task TTLs and
 * reservation timeouts repeat their spans and live in `Deadlines` instead.) Timers are never removed
 * early: when one fires, the engine checks the task is still in the step that set it, which keeps
 * cancellation O(1).
 */
export interface StepTimer {
  at: number;
  /** Task SID. */
  ref: string;
  /** The step token the task had when the timer was set. */
  token: number;
  /** Ties on `at` fire in this order (the engine numbers all its deadlines from one counter). */
  seq: number;
  /** Place in the heap. */
  slot: number;
}

export class TimerQueue {
  private readonly heap = new IndexedHeap<StepTimer>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
    (timer) => timer.slot,
    (timer, slot) => (timer.slot = slot),
  );

  get size(): number {
    return this.heap.size;
  }

  add(at: number, ref: string, token: number, seq: number): void {
    this.heap.push({ at, ref, token, seq, slot: -1 });
  }

  /** The timer due first, if any. */
  peek(): StepTimer | undefined {
    return this.heap.peek();
  }

  /** Removes and returns the earliest timer if it is due at or before `now`. */
  popDue(now: number): StepTimer | undefined {
    const top = this.heap.peek();
    return top && top.at <= now ? this.heap.pop() : undefined;
  }
}
