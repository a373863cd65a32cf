import type { TaskStatus } from "./model.ts";

type LiveStatus = "pending" | "reserved" | "assigned" | "wrapping";

const isWaiting = (status: TaskStatus) => status === "pending" || status === "reserved";

/**
 * Real-time task counts of one scope (the workspace, a queue or a workflow). Kept exact by taking a
 * task out (`apply(..., -1)`) before any change to its status, queue, workflow or priority and putting
 * it back after. Only counts are kept here: no per-task objects.
 */
export class ScopeCounters {
  readonly byStatus: Record<LiveStatus, number> = { pending: 0, reserved: 0, assigned: 0, wrapping: 0 };
  /**
   * Waiting (pending or reserved) tasks per priority, as pairs laid flat: priority, count, priority,
   * count. A contact center uses a handful of priorities, so a scan of this beats a Map, and the
   * routing path changes these counts several times a decision.
   */
  private readonly waitingByPriority: number[] = [];

  apply(status: TaskStatus, priority: number, sign: 1 | -1): void {
    if (this.count(status, sign)) this.countWaiting(priority, sign);
  }

  /** Moves one task between statuses or priorities: what `apply(-1)` then `apply(+1)` would do. */
  move(fromStatus: TaskStatus, fromPriority: number, toStatus: TaskStatus, toPriority: number): void {
    if (fromStatus === toStatus && fromPriority === toPriority) return;
    if (fromPriority === toPriority && isWaiting(fromStatus) && isWaiting(toStatus)) {
      // The per-priority count of waiting tasks stays as it is.
      this.count(fromStatus, -1);
      this.count(toStatus, 1);
      return;
    }
    this.apply(fromStatus, fromPriority, -1);
    this.apply(toStatus, toPriority, 1);
  }

  get total(): number {
    return this.byStatus.pending + this.byStatus.reserved + this.byStatus.assigned + this.byStatus.wrapping;
  }

  /** Waiting tasks per priority, lowest priority first. */
  byPriority(): Array<[priority: number, count: number]> {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < this.waitingByPriority.length; i += 2)
      pairs.push([this.waitingByPriority[i]!, this.waitingByPriority[i + 1]!]);
    return pairs.sort(([a], [b]) => a - b);
  }

  /** Counts a task in or out of its status; true when the status is a waiting one. */
  private count(status: TaskStatus, sign: number): boolean {
    // Named fields, not `byStatus[status]`: a store under a computed key is several times slower.
    switch (status) {
      case "pending":
        this.byStatus.pending += sign;
        return true;
      case "reserved":
        this.byStatus.reserved += sign;
        return true;
      case "assigned":
        this.byStatus.assigned += sign;
        return false;
      case "wrapping":
        this.byStatus.wrapping += sign;
        return false;
      default:
        return false; // finished tasks are not counted
    }
  }

  private countWaiting(priority: number, sign: number): void {
    const pairs = this.waitingByPriority;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] !== priority) continue;
      const count = pairs[i + 1]! + sign;
      if (count === 0) pairs.splice(i, 2);
      else pairs[i + 1] = count;
      return;
    }
    pairs.push(priority, sign);
  }
}

export const CUMULATIVE_KINDS = [
  "task.created",
  "task.entered",
  "task.canceled",
  "task.completed",
  "task.deleted",
  "task.moved",
  "task.timed-out-in-workflow",
  "reservation.created",
  "reservation.accepted",
  "reservation.rejected",
  "reservation.timed-out",
  "reservation.canceled",
  "reservation.rescinded",
  /** A worker left an activity: `wait` holds how long it was in it. */
  "worker.activity",
] as const;

export type CumulativeKind = (typeof CUMULATIVE_KINDS)[number];

export type Scope =
  { kind: "workspace" } | { kind: "queue"; sid: string } | { kind: "workflow"; sid: string };

export interface DurationSummary {
  avg: number;
  min: number;
  max: number;
  total: number;
}

/**
 * Each kind as the number the log stores. Callers record facts by these numbers, not by name: a
 * constant property read where a name needed a lookup on every fact, a few of them a decision.
 */
export const FACT_KIND = Object.fromEntries(CUMULATIVE_KINDS.map((k, i) => [k, i])) as Readonly<
  Record<CumulativeKind, number>
>;
const ACTIVITY_KIND = FACT_KIND["worker.activity"];

type ReservationOutcome = "created" | "accepted" | "rejected" | "timed_out" | "canceled" | "rescinded";
/** Reservation fact kinds by index, with their key in Twilio's `reservations_*` figures. */
const RESERVATION_KEYS = new Map(
  CUMULATIVE_KINDS.filter((k) => k.startsWith("reservation.")).map(
    (k) => [FACT_KIND[k], k.slice("reservation.".length).replace("-", "_") as ReservationOutcome] as const,
  ),
);

/** Stands for "none" in a fact's SID columns (a task outside any queue, a fact without a worker). */
export const NO_FACT_ID = -1;

/** One worker's (or every worker's) cumulative figures: reservations by outcome and time per activity. */
export interface WorkerFigures {
  reservations: Record<ReservationOutcome, number>;
  /** Seconds spent in each activity, one entry per stretch of time inside the window. */
  activityStretches: Map<string, number[]>;
}

/**
 * A task created straight into a queue: one fact standing for `task.created` and `task.entered` at
 * once, which is how most tasks begin. It counts as both, except in a queue's figures, which never
 * counted `task.created` (that fact names no queue).
 */
const CREATED_AND_ENTERED = CUMULATIVE_KINDS.length;
const CREATED = FACT_KIND["task.created"];
const ENTERED = FACT_KIND["task.entered"];

/** Facts per chunk: the log grows and drops whole chunks of 8,192 facts (270 KB). */
const CHUNK_BITS = 13;
const CHUNK = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK - 1;

/** One chunk of the fact log's columns. */
class FactChunk {
  readonly at = new Float64Array(CHUNK);
  readonly kind = new Uint8Array(CHUNK);
  /**
   * The task's queue; for `worker.activity` facts, the activity left. One column serves both because
   * SIDs share one space of IDs: an activity's ID never matches a queue a reader looks for.
   */
  readonly queue = new Int32Array(CHUNK);
  readonly workflow = new Int32Array(CHUNK);
  readonly channel = new Int32Array(CHUNK);
  readonly worker = new Int32Array(CHUNK);
  /** Seconds from task creation (accepted, canceled), NaN when not applicable. */
  readonly wait = new Float32Array(CHUNK);
  /** Seconds from entering the queue to acceptance, NaN when not applicable. */
  readonly queueWait = new Float32Array(CHUNK);
}

/**
 * What happened and when, for cumulative statistics over a window: a column store in typed arrays
 * (33 bytes a fact), SIDs interned to small integers, held in fixed-size chunks so that the log
 * never copies itself to grow and its unused room is less than one chunk. Facts older than the
 * retention window are dropped in amortised O(1), and so are the chunks they empty.
 *
 * Positions count facts from the first slot of `chunks[0]`: the live facts are [start, end).
 */
export class FactLog {
  private readonly chunks: FactChunk[] = [];
  /** A chunk emptied by expiry, kept to be filled again rather than allocated anew. */
  private spare: FactChunk | undefined = undefined;
  private start = 0;
  private end = 0;
  private readonly ids = new Map<string, number>();
  private readonly sids: string[] = [];

  constructor(private readonly retentionMs: number) {}

  /** The small integer that stands for a SID in the log; callers keep it to skip the lookup. */
  idOf(sid: string): number {
    let id = this.ids.get(sid);
    if (id === undefined) {
      this.ids.set(sid, (id = this.ids.size));
      this.sids.push(sid);
    }
    return id;
  }

  /** Records a fact of a kind given as its `FACT_KIND` number. */
  record(
    at: number,
    kind: number,
    queueId: number,
    workflowId: number,
    channelId: number,
    workerId: number,
    wait = NaN,
    queueWait = NaN,
  ): void {
    if (kind === ENTERED && this.mergeIntoCreated(at, queueId, workflowId, channelId, workerId)) return;
    const chunk = this.slot(at);
    const i = (this.end - 1) & IN_CHUNK;
    chunk.kind[i] = kind;
    chunk.queue[i] = queueId;
    chunk.workflow[i] = workflowId;
    chunk.channel[i] = channelId;
    chunk.worker[i] = workerId;
    chunk.wait[i] = wait;
    chunk.queueWait[i] = queueWait;
  }

  /** A worker left an activity at `at` after `seconds` in it. */
  recordActivity(at: number, workerId: number, activityId: number, seconds: number): void {
    const chunk = this.slot(at);
    const i = (this.end - 1) & IN_CHUNK;
    chunk.kind[i] = ACTIVITY_KIND;
    chunk.queue[i] = activityId;
    chunk.workflow[i] = chunk.channel[i] = NO_FACT_ID;
    chunk.worker[i] = workerId;
    chunk.wait[i] = seconds;
    chunk.queueWait[i] = NaN;
  }

  /**
   * Turns the newest fact into `CREATED_AND_ENTERED` when it is a `task.created` that the entry just
   * recorded would leave every figure unchanged beside: same time, workflow and channel, no worker.
   * Which task each fact was about does not matter: no figure tells tasks apart.
   */
  private mergeIntoCreated(
    at: number,
    queueId: number,
    workflowId: number,
    channelId: number,
    workerId: number,
  ) {
    if (this.end === this.start || workerId !== NO_FACT_ID) return false;
    const chunk = this.chunks[(this.end - 1) >> CHUNK_BITS]!;
    const i = (this.end - 1) & IN_CHUNK;
    if (
      chunk.kind[i] !== CREATED ||
      chunk.at[i] !== at ||
      chunk.workflow[i] !== workflowId ||
      chunk.channel[i] !== channelId
    )
      return false;
    chunk.kind[i] = CREATED_AND_ENTERED;
    chunk.queue[i] = queueId;
    return true;
  }

  /** Drops what has expired and makes room for a new fact at `at`: the chunk holding position `end - 1`. */
  private slot(at: number): FactChunk {
    const horizon = at - this.retentionMs;
    while (
      this.start < this.end &&
      this.chunks[this.start >> CHUNK_BITS]!.at[this.start & IN_CHUNK]! < horizon
    )
      this.start++;
    while (this.start >= CHUNK) {
      this.spare = this.chunks.shift();
      this.start -= CHUNK;
      this.end -= CHUNK;
    }
    if (this.end === this.chunks.length * CHUNK) {
      this.chunks.push(this.spare ?? new FactChunk());
      this.spare = undefined;
    }
    const chunk = this.chunks[this.end >> CHUNK_BITS]!;
    chunk.at[this.end & IN_CHUNK] = at;
    this.end++;
    return chunk;
  }

  /** Calls `visit` for every live fact, oldest first, with its chunk and its index there. */
  private forEachFact(visit: (chunk: FactChunk, i: number) => void): void {
    for (let c = this.start >> CHUNK_BITS; c <= (this.end - 1) >> CHUNK_BITS; c++) {
      const chunk = this.chunks[c]!;
      const first = Math.max(this.start - c * CHUNK, 0);
      const last = Math.min(this.end - c * CHUNK, CHUNK);
      for (let i = first; i < last; i++) visit(chunk, i);
    }
  }

  /** Twilio's cumulative figures for a scope over [from, to] (ms), optionally one channel, with wait-time splits (s). */
  cumulative(scope: Scope, from: number, to: number, channelSid?: string, splitByWaitTime: number[] = []) {
    const counts = new Array<number>(CUMULATIVE_KINDS.length).fill(0);
    const untilAccepted: number[] = [];
    const untilCanceled: number[] = [];
    const inQueueUntilAccepted: number[] = [];
    const scopeId = scope.kind === "workspace" ? -2 : (this.ids.get(scope.sid) ?? -3);
    const channelId = channelSid === undefined ? -2 : (this.ids.get(channelSid) ?? -3);
    const accepted = FACT_KIND["reservation.accepted"];
    const canceled = FACT_KIND["task.canceled"];
    this.forEachFact((chunk, i) => {
      const at = chunk.at[i]!;
      if (at < from || at > to) return;
      if (channelId !== -2 && chunk.channel[i] !== channelId) return;
      if (scope.kind === "queue" && chunk.queue[i] !== scopeId) return;
      if (scope.kind === "workflow" && chunk.workflow[i] !== scopeId) return;
      const kind = chunk.kind[i]!;
      if (kind === CREATED_AND_ENTERED) {
        if (scope.kind !== "queue") counts[CREATED]!++;
        counts[ENTERED]!++;
        return;
      }
      counts[kind]!++;
      const wait = chunk.wait[i]!;
      if (kind === accepted && !Number.isNaN(wait)) {
        untilAccepted.push(wait);
        const queueWait = chunk.queueWait[i]!;
        if (!Number.isNaN(queueWait)) inQueueUntilAccepted.push(queueWait);
      }
      if (kind === canceled && !Number.isNaN(wait)) untilCanceled.push(wait);
    });
    const n = (kind: CumulativeKind) => counts[FACT_KIND[kind]]!;
    const acceptedSummary = summary(untilAccepted);
    const split: Record<string, unknown> = {};
    for (const threshold of splitByWaitTime) {
      split[String(threshold)] = {
        below: {
          tasks_canceled: untilCanceled.filter((w) => w < threshold).length,
          reservations_accepted: untilAccepted.filter((w) => w < threshold).length,
        },
        above: {
          tasks_canceled: untilCanceled.filter((w) => w >= threshold).length,
          reservations_accepted: untilAccepted.filter((w) => w >= threshold).length,
        },
      };
    }
    return {
      start_time: from,
      end_time: to,
      reservations_created: n("reservation.created"),
      reservations_accepted: n("reservation.accepted"),
      reservations_rejected: n("reservation.rejected"),
      reservations_timed_out: n("reservation.timed-out"),
      reservations_canceled: n("reservation.canceled"),
      reservations_rescinded: n("reservation.rescinded"),
      tasks_created: n("task.created"),
      tasks_entered: n("task.entered"),
      tasks_canceled: n("task.canceled"),
      tasks_completed: n("task.completed"),
      tasks_deleted: n("task.deleted"),
      tasks_moved: n("task.moved"),
      tasks_timed_out_in_workflow: n("task.timed-out-in-workflow"),
      avg_task_acceptance_time: acceptedSummary.avg,
      wait_duration_until_accepted: acceptedSummary,
      wait_duration_until_canceled: summary(untilCanceled),
      wait_duration_in_queue_until_accepted: summary(inQueueUntilAccepted),
      split_by_wait_time: splitByWaitTime.length ? split : null,
    };
  }

  /**
   * Reservation outcomes of one worker (or of all, when `workerSid` is undefined) over [from, to]
   * (ms), optionally on one channel, and the stretches of time spent in activities that ended after
   * `from`, clipped to the window. Stretches still going on are the caller's to add.
   */
  workerFigures(workerSid: string | undefined, from: number, to: number, channelSid?: string): WorkerFigures {
    const reservations = { created: 0, accepted: 0, rejected: 0, timed_out: 0, canceled: 0, rescinded: 0 };
    const activityStretches = new Map<string, number[]>();
    const workerId = workerSid === undefined ? -2 : (this.ids.get(workerSid) ?? -3);
    const channelId = channelSid === undefined ? -2 : (this.ids.get(channelSid) ?? -3);
    this.forEachFact((chunk, i) => {
      const at = chunk.at[i]!;
      if (at < from) return;
      if (workerId !== -2 && chunk.worker[i] !== workerId) return;
      const kind = chunk.kind[i]!;
      if (kind === ACTIVITY_KIND) {
        const began = at - chunk.wait[i]! * 1000;
        const seconds = (Math.min(at, to) - Math.max(began, from)) / 1000;
        if (seconds <= 0) return;
        const sid = this.sids[chunk.queue[i]!]!;
        const list = activityStretches.get(sid);
        if (list) list.push(seconds);
        else activityStretches.set(sid, [seconds]);
        return;
      }
      if (at > to || (channelId !== -2 && chunk.channel[i] !== channelId)) return;
      const key = RESERVATION_KEYS.get(kind);
      if (key) reservations[key]++;
    });
    return { reservations, activityStretches };
  }
}

/** Durations rounded to whole seconds, as Twilio reports them. */
export function summary(values: number[]): DurationSummary {
  if (values.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    total += v;
  }
  return {
    avg: Math.round(total / values.length),
    min: Math.round(min),
    max: Math.round(max),
    total: Math.round(total),
  };
}
