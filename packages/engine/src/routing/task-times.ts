/** The columns of a task's row in `TaskTimes`, all in epoch milliseconds. */
export const CREATED = 0;
export const UPDATED = 1;
/** When the task entered its current queue; NaN before it entered one. */
export const QUEUE_ENTERED = 2;
/** When the task entered its current routing step. */
export const STEP_ENTERED = 3;
/** When the task was completed or canceled; 0 while it is live. */
export const FINISHED = 4;
const COLUMNS = 5;

/**
 * The times of every task an engine holds, in one Float64Array: a row per task, a column per time.
 *
 * Why not fields on the task: V8 keeps each double-valued field in a 16-byte heap number of its own,
 * so the times of a task came to 150 bytes, the largest part of a waiting task. Here they take 40.
 *
 * Invariant: a row belongs to one task from `allocate` until `release`; the engine releases it only
 * when it forgets the task, after which nothing reads it.
 */
export class TaskTimes {
  private values = new Float64Array(COLUMNS * 1024);
  private rows = 0;
  private readonly free: number[] = [];

  /** A row for a task created at `createdAt`; it has entered no queue or step and is live. */
  allocate(createdAt: number): number {
    const row = this.free.pop() ?? this.rows++;
    if ((row + 1) * COLUMNS > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const at = row * COLUMNS;
    this.values[at + CREATED] = createdAt;
    this.values[at + UPDATED] = createdAt;
    this.values[at + QUEUE_ENTERED] = NaN;
    this.values[at + STEP_ENTERED] = NaN;
    this.values[at + FINISHED] = 0;
    return row;
  }

  release(row: number): void {
    this.free.push(row);
  }

  get(row: number, column: number): number {
    return this.values[row * COLUMNS + column]!;
  }

  set(row: number, column: number, value: number): void {
    this.values[row * COLUMNS + column] = value;
  }
}
