import type { SidTable } from "./sid-table.ts";

/** A record as `FinishedTasks` finds it in its table again: by the hash the table gave it. */
export interface Hashed {
  readonly sid: string;
  /** What `SidTable.set` returned for the record. */
  readonly hash: number;
}

/**
 * Finished tasks and their reservations, in the order the tasks finished, kept until the retention
 * window has passed; then they are forgotten: dropped from the engine's tables, their rows of times
 * freed.
 *
 * Why not a list of the tasks themselves: a task is forgotten minutes after it finished, when nothing
 * of it is left in the processor's caches. Reading the task, its row of times, its SID, its
 * reservations and their SIDs to find them in the tables cost about ten cache misses per task: 9% of
 * the routing benchmark's time went to forgetting. Here what forgetting needs (when the task finished,
 * its row, and the table hash of the task and of each of its reservations) sits in arrays read front
 * to back, and the tables find a record by hash and identity (`deleteExact`): forgetting touches the
 * tables' slots and nothing else (4% of the benchmark's time).
 *
 * Invariant: the entries from `head` on are the tasks added and not yet forgotten, in the order they
 * were added; `reservationCounts[i]` of them belong to task i, in order, from `reservationHead` on.
 */
export class FinishedTasks<T extends { readonly sid: string }, R extends Hashed> {
  private tasks: T[] = [];
  private taskHashes: number[] = [];
  private rows: number[] = [];
  private finishedAt: number[] = [];
  private reservationCounts: number[] = [];
  private head = 0;
  private reservations: R[] = [];
  private reservationHashes: number[] = [];
  private reservationHead = 0;

  constructor(
    private readonly taskTable: SidTable<T>,
    private readonly reservationTable: SidTable<R>,
    /** Frees a forgotten task's row of times. */
    private readonly release: (row: number) => void,
  ) {}

  /** When the task finished that is forgotten first, if any is kept. */
  get oldestFinishedAt(): number | undefined {
    return this.head < this.finishedAt.length ? this.finishedAt[this.head] : undefined;
  }

  /**
   * Keeps a task that has just finished, with the reservations it has had. Tasks must come in the
   * order they finished, each once; those deleted meanwhile are simply not found when forgotten.
   */
  add(task: T, hash: number, row: number, at: number, reservations: readonly R[]): void {
    this.tasks.push(task);
    this.taskHashes.push(hash);
    this.rows.push(row);
    this.finishedAt.push(at);
    this.reservationCounts.push(reservations.length);
    for (const reservation of reservations) {
      this.reservations.push(reservation);
      this.reservationHashes.push(reservation.hash);
    }
  }

  /** Forgets every task that finished at or before `horizon`, with its reservations. */
  forget(horizon: number): void {
    while (this.head < this.finishedAt.length && this.finishedAt[this.head]! <= horizon) {
      const i = this.head++;
      this.release(this.rows[i]!);
      this.taskTable.deleteExact(this.tasks[i]!, this.taskHashes[i]!);
      for (let n = this.reservationCounts[i]!; n > 0; n--) {
        const r = this.reservationHead++;
        this.reservationTable.deleteExact(this.reservations[r]!, this.reservationHashes[r]!);
      }
    }
    // Drop the forgotten front once it is most of the arrays: amortized O(1) per task.
    if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.taskHashes = this.taskHashes.slice(this.head);
      this.rows = this.rows.slice(this.head);
      this.finishedAt = this.finishedAt.slice(this.head);
      this.reservationCounts = this.reservationCounts.slice(this.head);
      this.head = 0;
      this.reservations = this.reservations.slice(this.reservationHead);
      this.reservationHashes = this.reservationHashes.slice(this.reservationHead);
      this.reservationHead = 0;
    }
  }
}
