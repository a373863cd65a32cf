/** The columns of a task's row in `TaskTimes`, all in epoch milliseconds. */
export const CREATED = 0;
export const UPDATED = 1;
/** When the task entered its current queue; NaN before it entered one. */
export const QUEUE_ENTERED = 2;
/** When the task entered its current routing step. */
export const STEP_ENTERED = 3;
const COLUMNS = 4;

/** Rows per chunk: the store grows by 4,096 rows (128 KB) at a time, never copying what it holds. */
const CHUNK_BITS = 12;
const IN_CHUNK = (1 << CHUNK_BITS) - 1;

/**
 * The times of every task an engine holds, in Float64Arrays: a row per task, a column per time.
 *
 * Why not fields on the task: V8 keeps each double-valued field in a 16-byte heap number of its own,
 * so the times of a task came to 150 bytes, the largest part of a waiting task. Here they take 32,
 * and the store's unused room is less than one chunk of rows.
 *
 * Invariant: a row belongs to one task from `allocate` until `release`; the engine releases it only
 * when it forgets the task, after which nothing reads it.
 */
export class TaskTimes {
  private readonly chunks: Float64Array[] = [];
  private rows = 0;
  private readonly free: number[] = [];

  /** A row for a task created at `createdAt`; it has entered no queue or step and is live. */
  allocate(createdAt: number): number {
    const row = this.free.pop() ?? this.rows++;
    if (row >> CHUNK_BITS === this.chunks.length) this.chunks.push(new Float64Array(COLUMNS << CHUNK_BITS));
    const values = this.chunks[row >> CHUNK_BITS]!;
    const at = (row & IN_CHUNK) * COLUMNS;
    values[at + CREATED] = createdAt;
    values[at + UPDATED] = createdAt;
    values[at + QUEUE_ENTERED] = NaN;
    values[at + STEP_ENTERED] = NaN;
    return row;
  }

  release(row: number): void {
    this.free.push(row);
  }

  get(row: number, column: number): number {
    return this.chunks[row >> CHUNK_BITS]![(row & IN_CHUNK) * COLUMNS + column]!;
  }

  set(row: number, column: number, value: number): void {
    this.chunks[row >> CHUNK_BITS]![(row & IN_CHUNK) * COLUMNS + column] = value;
  }
}
