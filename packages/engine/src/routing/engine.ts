import type { Clock } from "../clock.ts";
import {
  compileExpression,
  ExpressionError,
  type Attributes,
  type CompiledExpression,
  type EvaluationContext,
  type QueuePopulation,
  type WorkerFacts,
} from "../expressions/index.ts";
import type { SidGenerator } from "../ids.ts";
import type { RoutingEvent, TaskSnapshot, WorkerSnapshot } from "./events.ts";
import {
  ACTIVE_RESERVATION,
  RoutingError,
  type Activity,
  type ChannelRule,
  type ReservationStatus,
  type ReservationView,
  type RoutingPosition,
  type TaskChannel,
  type TaskQueueConfig,
  type TaskStatus,
  type TaskView,
  type WorkerView,
  type WorkflowConfig,
  type WorkspaceSettings,
} from "./model.ts";
import { Deadlines, type Scheduled } from "./deadlines.ts";
import { WaitingLine, type Band, type Linked } from "./waiting-line.ts";
import { type Entered, EntryOrder } from "./entry-order.ts";
import { appended, EMPTY, without } from "./small.ts";
import { FACT_KIND, FactLog, NO_FACT_ID, ScopeCounters, summary, type Scope } from "./statistics.ts";
import { CREATED, QUEUE_ENTERED, STEP_ENTERED, TaskTimes, UPDATED } from "./task-times.ts";
import { QueueKeys } from "./queue-keys.ts";
import { hashSid, SidTable } from "./sid-table.ts";
import { FinishedTasks } from "./finished-tasks.ts";
import { TimerQueue } from "./timers.ts";
import { compileWorkflow, queueTarget, type CompiledWorkflow, type Target } from "./workflow.ts";

/** What a command did: its result and the events it produced, in order. */
export interface Outcome<T = void> {
  result: T;
  events: RoutingEvent[];
}

export interface EngineOptions {
  clock: Clock;
  ids: SidGenerator;
  settings?: Partial<WorkspaceSettings>;
  /** How long cumulative statistics keep their facts (default 24 h). */
  statisticsRetentionMs?: number;
  /**
   * How long a completed or canceled task (with its reservations) stays readable before the engine
   * forgets it (default 10 minutes). The durable record is the event log; this bounds memory.
   */
  finishedTaskRetentionMs?: number;
}

export interface NewWorker {
  friendlyName: string;
  attributes?: Attributes;
  activitySid: string;
}

export interface NewTask {
  attributes?: Attributes;
  /** Required unless `routingTarget` is given. */
  workflowSid?: string;
  /** Unique name or SID of the task channel (default `default`). */
  channel?: string;
  priority?: number;
  /** Seconds the task may wait for assignment (default 86,400). */
  timeout?: number;
  virtualStartTime?: number;
  /** Direct routing, bypassing the workflow: to one worker (through a queue) or to a queue. */
  routingTarget?: { queueSid: string; workerSid?: string; reservationTimeout?: number };
}

/** Where a waiting task stands in its queue (see `waitingPosition`). */
export interface WaitingPosition {
  taskSid: string;
  queueSid: string;
  /** Waiting tasks of the queue offered before it: higher priority, or equal and in the queue longer. */
  ahead: number;
  /** Queue members in an available activity. */
  staffedAgents: number;
  /** Of those, how many could take a task on its channel right now. */
  idleAgents: number;
}

export type TransferTarget = { workerSid: string; queueSid: string } | { queueSid: string };

// ---------------------------------------------------------------------------------------------
// Internal state. Records are mutable and owned by the engine; views handed out are copies.

/** A task channel as the engine keeps it. */
interface ChannelState extends TaskChannel {
  /** The channel's SID interned in the fact log. */
  readonly factId: number;
  /**
   * The channel's place in each queue's lines (`QueueState.ready`, `waiting`): numbered as channels
   * are created, kept when one is updated, never reused.
   */
  readonly index: number;
  /**
   * The workspace's channel rules for this channel ("no chat while on a voice call"), resolved to
   * channel SIDs by `compileRules`; empty when none. On the record, not in a Map by SID: readiness
   * is tested several times a decision.
   */
  rules: readonly ResolvedRule[];
}

/** A channel rule as `isReady` tests it: the channel is closed while `whileOn` has `atLeast` tasks. */
interface ResolvedRule {
  whileOn: string;
  atLeast: number;
}

interface Slot {
  channel: ChannelState;
  capacity: number;
  available: boolean;
  /** Reservations holding capacity (pending, accepted, wrapping). */
  active: number;
  /**
   * Defined exactly when the worker is ready on this channel (see `isReady`); then the worker stands
   * in `queue.ready[channel]` of every queue it belongs to under this key. Keys grow over time, so the
   * smallest key is the worker who has waited longest: "longest idle first".
   */
  readyKey: number | undefined;
  /**
   * The worker's places in those lines, one per queue that has a line for this channel; or, between
   * becoming ready and being routed within one command, NOT_YET_INDEXED (see `refreshSlot`).
   */
  entries: readonly ReadyEntry[];
}

/**
 * A worker's place in one queue's line of ready workers on one channel. A worker belongs to several
 * queues, so the line links these entries rather than the worker itself. They are ordered by `key`,
 * and every key handed out is larger than all before it, so a worker who becomes ready joins at the
 * back in O(1); only joining a queue while already ready walks the line.
 */
interface ReadyEntry extends Linked<ReadyEntry> {
  readonly worker: WorkerState;
  readonly queue: QueueState;
  readonly key: number;
  readonly line: WaitingLine<ReadyEntry>;
}

/** A worker. It is its own `WorkerFacts`, so expressions read it without a copy. */
interface WorkerState extends WorkerFacts {
  activity: Activity;
  dateCreated: number;
  /** When the worker's name, attributes, activity or channels last changed. */
  dateUpdated: number;
  dateStatusChanged: number;
  /** One slot per task channel (`slotOn` finds one by channel SID), in an exact-size array (small.ts). */
  slots: readonly Slot[];
  /**
   * The queues the worker belongs to, and its pending reservations (offers not yet answered): a
   * handful each, in exact-size arrays replaced on every change (see small.ts), so a loop over one may
   * change it as it goes. Arrays on the worker itself, not wrapped in a set object: one object fewer
   * to fetch from memory on every decision. Only pending reservations are listed: a reservation is
   * accepted moments after it is made, while the worker is still in the processor's caches, and
   * completing it minutes later then reads no list of the worker's.
   */
  queues: readonly QueueState[];
  pending: readonly ReservationState[];
  /** The worker's SID interned in the fact log. */
  factId: number;
  /** In `workersToRoute`: a flag on the worker rather than a Set, which every decision fills and empties. */
  queuedForRouting: boolean;
  /**
   * The slots queued for routing (see `queueForRouting`): bit i for the slot of the channel numbered
   * i (`ChannelState.index`), EVERY_SLOT for all.
   * Bits in a number, not a list of slots: a new list on every decision was an allocation.
   */
  slotsToRoute: number;
  /** Removed from the workspace: routing passes it by (it may have been queued for routing before). */
  removed: boolean;
  /**
   * The worker as events record it, made on first use and shared until its name, attributes or
   * activity change (`syncFacts` forgets it): three reservation events a decision name the worker.
   */
  snapshot: WorkerSnapshot | undefined;
}

/**
 * How events name a queue, workflow or routing step. One object per configuration, shared by every
 * event that names it (three or four a decision) and replaced, never changed, when the configuration
 * changes: an event keeps what was true when it happened.
 */
type QueueRef = NonNullable<RoutingEvent["queue"]>;
type WorkflowRef = NonNullable<RoutingEvent["workflow"]>;
type StepRef = NonNullable<RoutingEvent["step"]>;

interface QueueState {
  config: TaskQueueConfig;
  /** Set with `config`. */
  ref: QueueRef;
  targetWorkers: CompiledExpression;
  members: Set<WorkerState>;
  /**
   * Ready members per channel (by `ChannelState.index`), by ready key: longest idle first. A line
   * exists only for the channels this queue has seen a task on (built from the members then, kept
   * current after): most queues serve one or two channels, and a worker is ready on every channel it
   * has. Arrays by channel number, not Maps by SID: a worker looks in three queues a decision.
   */
  ready: Array<WaitingLine<ReadyEntry> | undefined>;
  /** Matchable tasks per channel (by `ChannelState.index`), in the order they must be offered (priority, then age). */
  waiting: Array<WaitingLine<TaskState> | undefined>;
  /** Waiting (pending or reserved) tasks in this queue, in the order they entered it. */
  waitingTasks: EntryOrder<TaskState>;
  /**
   * The oldest of `waitingTasks` by creation, for real-time statistics, while `oldestKnown`: kept as
   * tasks enter, forgotten when it leaves, and found again by a scan only when asked for then.
   */
  oldest: TaskState | undefined;
  oldestKnown: boolean;
  counters: ScopeCounters;
  /** Members per activity SID, and how many are in an available activity. */
  activityCounts: Map<string, number>;
  availableMembers: number;
  /** Tasks whose current step uses this queue (live tasks only). */
  taskCount: number;
  /** The queue's SID interned in the fact log. */
  factId: number;
}

interface WorkflowState {
  config: WorkflowConfig;
  /** Set with `config`. */
  ref: WorkflowRef;
  compiled: CompiledWorkflow;
  /** The steps of each filter's targets, and of default_filter: built with `compiled`. */
  steps: Step[][];
  defaultStep: Step | undefined;
  taskCount: number;
  counters: ScopeCounters;
  /** The workflow's SID interned in the fact log. */
  factId: number;
}

/**
 * Where a task is in routing: one target of a workflow filter, the default filter, or a direct
 * routing target. Immutable, and shared by every task in that step: workflow steps are built once
 * when the workflow is put, so entering a step allocates nothing.
 */
interface Step {
  /** Index of the matched filter, or "default" for default_filter, or "direct" for a routing target. */
  filter: number | "default" | "direct";
  filterName: string;
  index: number;
  target: Target;
  /**
   * The target's queue. A queue object lives as long as its SID (`putQueue` changes it in place), and
   * `removeQueue` refuses a queue that a workflow or a live task uses: a step a task can still enter
   * names a queue that exists. A finished task's step may outlive its queue, for `explain`.
   */
  queue: QueueState;
  /** Reservation timeout for this step's reservations, seconds. */
  reservationTimeout: number;
  /** How events name the step (see `QueueRef`). */
  ref: StepRef;
}

/** The reason a task completed without one given. */
const COMPLETED = "Task completed";

/** What few tasks need, kept aside and made on first use so that most tasks carry one empty field. */
interface TaskExtras {
  /** Seconds the task may wait for assignment, when not the default. */
  timeout: number | undefined;
  /** `VirtualStartTime`, when not the creation time. */
  virtualStart: number | undefined;
  reason: string | undefined;
  /** Workers who rejected this task: it is not offered to them again. */
  rejectedBy: Set<string> | undefined;
  /** For known-worker steps: the worker SID the task names, or null when it names nobody. */
  knownWorkerSid: string | null | undefined;
  /** Worker SID under which the task sits in `knownWaiting`, when it does. */
  knownKey: string | undefined;
  /** The step timed out while reservations were pending: move on when they resolve. */
  stepExpired: boolean;
  transferredFrom: string | undefined;
  /** For a transfer task: how the original is handled when this one is accepted. */
  transferOf: { taskSid: string } | undefined;
}

/**
 * A task. The engine holds up to hundreds of thousands, most of them waiting, so the record is kept
 * small: times live in the engine's `TaskTimes` (read through the accessors below), rare fields in
 * `extras`, and the routing step is a shared `Step`.
 */
class TaskState implements Linked<TaskState>, Scheduled<TaskState>, Entered<TaskState> {
  status: TaskStatus = "pending";
  queue: QueueState | undefined = undefined;
  step: Step | undefined = undefined;
  /** Changes on every step entry, so a stale step-timeout timer can be recognised. */
  stepToken = 0;
  /**
   * Pending reservations; shares the frozen NONE while there are none (most tasks, most of the time).
   * Never mutated, only replaced: a loop over it may end reservations as it goes.
   */
  pending: readonly ReservationState[] = NONE;
  /** Every reservation the task has had, oldest first: NONE until the first, then an array only appended to. */
  history: readonly ReservationState[] = NONE;
  /** The task's place in `queue.waiting[channel]` when it is there; the band holds its priority. */
  band: Band<TaskState> | undefined = undefined;
  prevInLine: TaskState | undefined = undefined;
  nextInLine: TaskState | undefined = undefined;
  /** The task's place among the TTL deadlines, while it waits. */
  prevDue: TaskState | undefined = undefined;
  nextDue: TaskState | undefined = undefined;
  /** The task's place in `queue.waitingTasks`, while it waits. */
  prevEntered: TaskState | undefined = undefined;
  nextEntered: TaskState | undefined = undefined;
  private extras: TaskExtras | undefined = undefined;

  constructor(
    private readonly times: TaskTimes,
    readonly row: number,
    readonly sid: string,
    readonly seq: number,
    public attributes: Attributes,
    public priority: number,
    readonly channel: ChannelState,
    readonly workflow: WorkflowState | undefined,
    timeout: number,
    virtualStart: number | undefined,
  ) {
    if (timeout !== DEFAULT_TASK_TIMEOUT) this.extra().timeout = timeout;
    if (virtualStart !== undefined && virtualStart !== this.dateCreated)
      this.extra().virtualStart = virtualStart;
  }

  /** Seconds the task may wait for assignment; most tasks keep the default, so only others store it. */
  get timeout(): number {
    return this.extras?.timeout ?? DEFAULT_TASK_TIMEOUT;
  }

  /**
   * The reservation the task was accepted through, while it is assigned or wrapping (and after it
   * completes): found in the short history rather than kept in a field of every task.
   */
  get accepted(): ReservationState | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const status = this.history[i]!.status;
      if (status === "accepted" || status === "wrapping" || status === "completed") return this.history[i];
    }
    return undefined;
  }

  get dateCreated(): number {
    return this.times.get(this.row, CREATED);
  }
  /** When the task's status, queue, priority or attributes last changed. */
  get dateUpdated(): number {
    return this.times.get(this.row, UPDATED);
  }
  set dateUpdated(at: number) {
    this.times.set(this.row, UPDATED, at);
  }
  /** The time the task's age counts from: its `VirtualStartTime`, which few tasks set, else its creation. */
  get virtualStartTime(): number {
    return this.extras?.virtualStart ?? this.dateCreated;
  }
  get queueEnteredAt(): number | undefined {
    const at = this.times.get(this.row, QUEUE_ENTERED);
    return Number.isNaN(at) ? undefined : at;
  }
  set queueEnteredAt(at: number) {
    this.times.set(this.row, QUEUE_ENTERED, at);
  }
  get stepEnteredAt(): number {
    return this.times.get(this.row, STEP_ENTERED);
  }
  set stepEnteredAt(at: number) {
    this.times.set(this.row, STEP_ENTERED, at);
  }
  /** When a still-waiting task is canceled ("Task TTL Exceeded"). */
  get ttlAt(): number {
    return this.dateCreated + this.timeout * 1000;
  }

  /** Why the task is in its status; most tasks finish as "Task completed", which is not stored. */
  get reason(): string | undefined {
    return this.extras?.reason ?? (this.status === "completed" ? COMPLETED : undefined);
  }
  set reason(reason: string | undefined) {
    if (reason === COMPLETED && this.status === "completed" && !this.extras) return;
    this.extra().reason = reason;
  }
  get rejectedBy(): Set<string> | undefined {
    return this.extras?.rejectedBy;
  }
  set rejectedBy(workers: Set<string>) {
    this.extra().rejectedBy = workers;
  }
  get knownWorkerSid(): string | null | undefined {
    return this.extras?.knownWorkerSid;
  }
  set knownWorkerSid(sid: string | null | undefined) {
    if (sid !== undefined || this.extras) this.extra().knownWorkerSid = sid;
  }
  get knownKey(): string | undefined {
    return this.extras?.knownKey;
  }
  set knownKey(sid: string | undefined) {
    if (sid !== undefined || this.extras) this.extra().knownKey = sid;
  }
  get stepExpired(): boolean {
    return this.extras?.stepExpired ?? false;
  }
  set stepExpired(expired: boolean) {
    if (expired || this.extras) this.extra().stepExpired = expired;
  }
  get transferredFrom(): string | undefined {
    return this.extras?.transferredFrom;
  }
  set transferredFrom(sid: string) {
    this.extra().transferredFrom = sid;
  }
  get transferOf(): { taskSid: string } | undefined {
    return this.extras?.transferOf;
  }
  set transferOf(original: { taskSid: string }) {
    this.extra().transferOf = original;
  }

  private extra(): TaskExtras {
    return (this.extras ??= {
      timeout: undefined,
      virtualStart: undefined,
      reason: undefined,
      rejectedBy: undefined,
      knownWorkerSid: undefined,
      knownKey: undefined,
      stepExpired: false,
      transferredFrom: undefined,
      transferOf: undefined,
    });
  }
}

interface ReservationState extends Scheduled<ReservationState> {
  sid: string;
  task: TaskState;
  worker: WorkerState;
  slot: Slot;
  status: ReservationStatus;
  dateCreated: number;
  dateUpdated: number;
  timeoutAt: number;
  /** Orders timeouts due in the same millisecond (see `deadlineSeq`). */
  timeoutSeq: number;
  queueSid: string | undefined;
  workflowSid: string | undefined;
  /** The SID's hash in the engine's table of reservations, for `FinishedTasks` to forget it by. */
  hash: number;
}

const DEFAULT_TASK_TIMEOUT = 86_400;
const DEFAULT_RESERVATION_TIMEOUT = 120;
/** Pending, reserved, assigned or wrapping: not yet completed or canceled. */
const isLive = (status: TaskStatus) => status !== "completed" && status !== "canceled";
const NONE: readonly ReservationState[] = EMPTY;

/** The fact recorded when a pending reservation ends, by how it ended. */
const PENDING_ENDED_FACT = {
  rejected: FACT_KIND["reservation.rejected"],
  timeout: FACT_KIND["reservation.timed-out"],
  canceled: FACT_KIND["reservation.canceled"],
  rescinded: FACT_KIND["reservation.rescinded"],
};

/** `WorkerState.slotsToRoute` with every bit set. */
const EVERY_SLOT = -1;

const isWaiting = (status: TaskStatus) => status === "pending" || status === "reserved";

/**
 * One workspace's router: TaskRouter semantics over in-memory state, deterministic (clock and SIDs
 * injected) and free of I/O. Commands are applied one at a time; each either fails with a
 * RoutingError before changing anything, or applies completely and returns the events it produced.
 *
 * Invariants, kept by construction and checked by the property tests:
 * - a worker's slot.active never exceeds its capacity when a reservation is created, and no
 *   reservation is created while a channel rule blocks it (both are part of `isReady`, and only
 *   ready workers are indexed);
 * - a task has at most one accepted reservation (accept rescinds every other pending one);
 * - after every command, no waiting task has a ready, eligible worker left unoffered: every change
 *   that can create a match queues the task or the worker for `route()`, which runs to a fixpoint.
 */
export class RoutingEngine {
  private readonly clock: Clock;
  private readonly ids: SidGenerator;
  private settings: WorkspaceSettings;
  /** Whether any channel has a rule (`ChannelState.rules`). */
  private hasRules = false;

  private readonly activities = new Map<string, Activity>();
  private readonly channels = new Map<string, ChannelState>();
  /** The same channels by unique name: most tasks name theirs so, or not at all ("default"). */
  private readonly channelsByName = new Map<string, ChannelState>();
  private readonly queues = new Map<string, QueueState>();
  /** The queues a worker may belong to, found from its attributes (see QueueKeys). */
  private readonly queueKeys = new QueueKeys<QueueState>();
  private readonly workflows = new Map<string, WorkflowState>();
  private readonly workers = new Map<string, WorkerState>();
  /** Workers by lower-cased friendly name: names are unique regardless of case. */
  private readonly workersByName = new Map<string, WorkerState>();
  private readonly tasks = new SidTable<TaskState>((task) => task.seq);
  private readonly times = new TaskTimes();
  /** Reservations are numbered for their timeouts as they are created, so that number orders them. */
  private readonly reservations = new SidTable<ReservationState>((reservation) => reservation.timeoutSeq);
  /** Tasks whose step names one worker, by that worker's SID; a worker no task names has no entry. */
  private readonly knownWaiting = new Map<string, Set<TaskState>>();
  /** Routing-step timeouts. */
  private readonly timers = new TimerQueue();
  /** Waiting tasks by TTL deadline; a task leaves when it stops waiting, so finished tasks are never here. */
  private readonly ttls = new Deadlines<TaskState>(
    (t) => t.timeout,
    (a, b) => a.ttlAt < b.ttlAt || (a.ttlAt === b.ttlAt && a.seq < b.seq),
  );
  /** Pending reservations by timeout; a reservation leaves when it stops being pending. */
  private readonly reservationTimeouts = new Deadlines<ReservationState>(
    (r) => r.timeoutAt - r.dateCreated,
    (a, b) => a.timeoutAt < b.timeoutAt || (a.timeoutAt === b.timeoutAt && a.timeoutSeq < b.timeoutSeq),
  );
  /** Numbers step and reservation timeouts as they are set: of two due in the same millisecond, the one set first fires first. */
  private deadlineSeq = 0;
  private readonly counters = new ScopeCounters();
  private readonly facts: FactLog;
  /** How far back cumulative statistics reach. */
  readonly statisticsRetentionMs: number;

  /**
   * What the time of day can change: waiting tasks whose step expression reads `taskrouter.*`, and
   * queues whose TargetWorkers does. While either is non-empty the engine asks to be woken at each
   * minute boundary, so such tasks are routed as soon as the clock makes them matchable.
   */
  private readonly timedTasks = new Set<TaskState>();
  private readonly timedQueues = new Set<QueueState>();
  private lastMinute = -1;

  /** Finished tasks in the order they finished, until they are forgotten. */
  private readonly finished = new FinishedTasks<TaskState, ReservationState>(
    this.tasks,
    this.reservations,
    (row) => this.times.release(row),
  );
  private readonly finishedRetentionMs: number;

  private readySeq = 0;
  /** Channels ever created: the next one's `index`. */
  private channelCount = 0;
  private taskSeq = 0;
  private stepToken = 0;
  private events: RoutingEvent[] = [];
  /**
   * The last task snapshot made, and its task: events that follow one another while the task does
   * not change share it (a task's creation and its entering the workflow; its completion and its
   * reservation's). Forgotten whenever a task changes (`moveTask`, `updateTask`) and at the start of
   * every command (a queue or workflow may have been renamed). Snapshots are never changed once made.
   */
  private snapshotOf: TaskState | undefined = undefined;
  private snapshot: TaskSnapshot | undefined = undefined;
  /**
   * Tasks to route in the next pass of `route()`. A task may be here more than once; the pass routes
   * each once. (A Set cost more: every decision fills it and empties it, and emptying a Set allocates
   * a new table.)
   */
  private tasksToRoute: TaskState[] = [];
  /**
   * Tasks whose step has a skip_if yet to be considered: it is, once, the first time the task is
   * routed after entering the step. A task leaves when routed or when it stops being live, so the set
   * holds only tasks entered during the command being applied. Steps without skip_if never add to it.
   */
  private readonly justEnteredStep = new Set<TaskState>();
  /**
   * Workers to route, each once (see `WorkerState.queuedForRouting`), in the order they were queued:
   * the first `workersQueued` entries; those after are left over from earlier passes. A count rather
   * than emptying the array: setting an array's length is a call into the runtime, on every command.
   */
  private readonly workersToRoute: WorkerState[] = [];
  private workersQueued = 0;
  private readonly context: EvaluationContext = { now: 0, task: undefined, worker: undefined };

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.ids = options.ids;
    this.settings = { channelRules: [], prioritizeQueueOrder: "FIFO", ...options.settings };
    this.statisticsRetentionMs = options.statisticsRetentionMs ?? 24 * 3600_000;
    this.facts = new FactLog(this.statisticsRetentionMs);
    this.finishedRetentionMs = options.finishedTaskRetentionMs ?? 10 * 60_000;
  }

  // ------------------------------------------------------------------------------------------
  // Configuration

  putActivity(activity: Activity): Outcome {
    const existing = this.activities.get(activity.sid);
    if (existing && existing.available !== activity.available) {
      throw new RoutingError("invalid", "An activity's availability cannot change after it is created");
    }
    return this.command(() => {
      this.activities.set(activity.sid, { ...activity });
      if (existing) {
        for (const worker of this.workers.values()) {
          if (worker.activity.sid === activity.sid) {
            worker.activity = this.activities.get(activity.sid)!;
            syncFacts(worker);
          }
        }
      }
      this.emit({
        type: existing ? "activity.updated" : "activity.created",
        at: this.clock.now(),
        resourceType: "activity",
        resourceSid: activity.sid,
        activity: { sid: activity.sid, name: activity.friendlyName, available: activity.available },
      });
    });
  }

  removeActivity(sid: string): Outcome {
    const activity = this.require(this.activities, sid, "Activity");
    if ([...this.workers.values()].some((w) => w.activity.sid === sid)) {
      throw new RoutingError("conflict", `Activity ${sid} is in use by workers`);
    }
    if (this.settings.timeoutActivitySid === sid)
      throw new RoutingError("conflict", `Activity ${sid} is the workspace's timeout activity`);
    return this.command(() => {
      this.activities.delete(sid);
      this.emit({
        type: "activity.deleted",
        at: this.clock.now(),
        resourceType: "activity",
        resourceSid: sid,
        activity: { sid, name: activity.friendlyName, available: activity.available },
      });
    });
  }

  putChannel(channel: TaskChannel): Outcome {
    const duplicate = [...this.channels.values()].find(
      (c) => c.uniqueName === channel.uniqueName && c.sid !== channel.sid,
    );
    if (duplicate)
      throw new RoutingError("conflict", `A task channel named ${channel.uniqueName} already exists`);
    const existing = this.channels.get(channel.sid);
    if (existing && existing.uniqueName !== channel.uniqueName) {
      throw new RoutingError("invalid", "A task channel's unique name cannot change");
    }
    return this.command(() => {
      const record: ChannelState = {
        sid: channel.sid,
        uniqueName: channel.uniqueName,
        friendlyName: channel.friendlyName,
        factId: this.facts.idOf(channel.sid),
        index: existing?.index ?? this.channelCount++,
        rules: [],
      };
      this.channels.set(channel.sid, record);
      this.channelsByName.set(channel.uniqueName, record);
      if (!existing) {
        for (const worker of this.workers.values()) {
          worker.slots = appended(worker.slots, {
            channel: record,
            capacity: 1,
            available: true,
            active: 0,
            readyKey: undefined,
            entries: NO_ENTRIES,
          });
        }
      } else {
        for (const worker of this.workers.values()) slotOn(worker, channel.sid)!.channel = record;
      }
      // Rules first: a rule named the channel before it existed, and blocks it from the start.
      this.compileRules();
      if (!existing) for (const worker of this.workers.values()) this.refreshWorker(worker);
      this.emit({
        type: existing ? "task-channel.updated" : "task-channel.created",
        at: this.clock.now(),
        resourceType: "task-channel",
        resourceSid: channel.sid,
        channel: { sid: channel.sid, uniqueName: channel.uniqueName, friendlyName: channel.friendlyName },
      });
    });
  }

  removeChannel(sid: string): Outcome {
    const channel = this.require(this.channels, sid, "TaskChannel");
    if (first(filter(this.tasks.unordered(), (t) => t.channel.sid === sid && isLive(t.status)))) {
      throw new RoutingError("conflict", `TaskChannel ${channel.uniqueName} has live tasks`);
    }
    return this.command(() => {
      for (const worker of this.workers.values()) {
        const slot = slotOn(worker, sid)!;
        if (slot.readyKey !== undefined) this.unindexReady(worker, slot);
        worker.slots = without(worker.slots, slot);
      }
      for (const queue of this.queues.values()) {
        queue.ready[channel.index] = undefined;
        queue.waiting[channel.index] = undefined;
      }
      this.channels.delete(sid);
      this.channelsByName.delete(channel.uniqueName);
      this.compileRules();
      this.emit({
        type: "task-channel.deleted",
        at: this.clock.now(),
        resourceType: "task-channel",
        resourceSid: sid,
        channel: { sid, uniqueName: channel.uniqueName, friendlyName: channel.friendlyName },
      });
    });
  }

  putQueue(config: TaskQueueConfig): Outcome {
    if (
      !Number.isInteger(config.maxReservedWorkers) ||
      config.maxReservedWorkers < 1 ||
      config.maxReservedWorkers > 50
    ) {
      throw new RoutingError("invalid", "MaxReservedWorkers must be a whole number from 1 to 50");
    }
    const targetWorkers = compileOrThrow(config.targetWorkers, "worker", "TargetWorkers");
    const existing = this.queues.get(config.sid);
    return this.command(() => {
      if (!existing) {
        const queue: QueueState = {
          config: { ...config },
          ref: queueRef(config),
          targetWorkers,
          members: new Set(),
          ready: [],
          waiting: [],
          activityCounts: new Map(),
          availableMembers: 0,
          taskCount: 0,
          waitingTasks: new EntryOrder(),
          oldest: undefined,
          oldestKnown: true,
          counters: new ScopeCounters(),
          factId: this.facts.idOf(config.sid),
        };
        this.queues.set(config.sid, queue);
        this.queueKeys.set(queue, targetWorkers.keys);
        if (targetWorkers.usesTime) this.timedQueues.add(queue);
        for (const worker of this.workers.values()) this.updateMembership(worker, queue);
        this.emit({
          type: "task-queue.created",
          at: this.clock.now(),
          resourceType: "task-queue",
          resourceSid: config.sid,
          queue: queue.ref,
        });
        return;
      }
      const expressionChanged = existing.config.targetWorkers !== config.targetWorkers;
      const orderChanged = existing.config.taskOrder !== config.taskOrder;
      existing.config = { ...config };
      existing.ref = queueRef(config);
      this.queueKeys.set(existing, targetWorkers.keys);
      existing.targetWorkers = targetWorkers;
      if (targetWorkers.usesTime) this.timedQueues.add(existing);
      else this.timedQueues.delete(existing);
      if (expressionChanged) {
        for (const worker of this.workers.values()) this.updateMembership(worker, existing);
        this.emit({
          type: "task-queue.expression.updated",
          at: this.clock.now(),
          resourceType: "task-queue",
          resourceSid: config.sid,
          queue: existing.ref,
        });
      }
      // Re-index the queue's tasks: the order or the number of parallel reservations may have changed.
      if (orderChanged) {
        for (const task of existing.waitingTasks) this.unindexTask(task);
        existing.waiting = [];
      }
      for (const task of existing.waitingTasks) this.syncTaskIndex(task);
    });
  }

  removeQueue(sid: string): Outcome {
    const queue = this.require(this.queues, sid, "TaskQueue");
    if (queue.taskCount > 0) throw new RoutingError("conflict", `TaskQueue ${sid} has live tasks`);
    const workflow = [...this.workflows.values()].find((w) => workflowUsesQueue(w.compiled, sid));
    if (workflow)
      throw new RoutingError("conflict", `TaskQueue ${sid} is used by workflow ${workflow.config.sid}`);
    return this.command(() => {
      for (const worker of queue.members) {
        worker.queues = without(worker.queues, queue);
        leaveReadyLines(worker, queue);
      }
      this.queues.delete(sid);
      this.queueKeys.delete(queue);
      this.timedQueues.delete(queue);
      this.emit({
        type: "task-queue.deleted",
        at: this.clock.now(),
        resourceType: "task-queue",
        resourceSid: sid,
        queue: queue.ref,
      });
    });
  }

  /**
   * Creates or replaces a workflow. Its configuration is validated first; errors name the JSON path
   * of the bad filter or target. With `reEvaluateTasks`, waiting tasks go through the new filters.
   */
  putWorkflow(config: WorkflowConfig, options: { reEvaluateTasks?: boolean } = {}): Outcome {
    const compiled = compileWorkflow(config.configuration, (sid) => this.queues.has(sid));
    if (
      !Number.isInteger(config.taskReservationTimeout) ||
      config.taskReservationTimeout < 1 ||
      config.taskReservationTimeout > 86_400
    ) {
      throw new RoutingError(
        "invalid",
        "TaskReservationTimeout must be a whole number of seconds from 1 to 86400",
      );
    }
    const existing = this.workflows.get(config.sid);
    return this.command(() => {
      const workflow = existing ?? {
        config,
        ref: { sid: config.sid, name: config.friendlyName },
        compiled,
        steps: [],
        defaultStep: undefined,
        taskCount: 0,
        counters: new ScopeCounters(),
        factId: this.facts.idOf(config.sid),
      };
      workflow.config = { ...config };
      workflow.ref = { sid: config.sid, name: config.friendlyName };
      workflow.compiled = compiled;
      workflow.steps = compiled.filters.map((f, filter) =>
        f.targets.map((target, index) => ({
          filter,
          filterName: f.name,
          index,
          target,
          queue: this.queues.get(target.queueSid)!,
          reservationTimeout: config.taskReservationTimeout,
          ref: { filterName: f.name, index },
        })),
      );
      workflow.defaultStep = compiled.defaultQueueSid
        ? {
            filter: "default",
            filterName: "Default Filter",
            index: 0,
            target: queueTarget(compiled.defaultQueueSid),
            queue: this.queues.get(compiled.defaultQueueSid)!,
            reservationTimeout: config.taskReservationTimeout,
            ref: { filterName: "Default Filter", index: 0 },
          }
        : undefined;
      this.workflows.set(config.sid, workflow);
      this.emit({
        type: existing ? "workflow.updated" : "workflow.created",
        at: this.clock.now(),
        resourceType: "workflow",
        resourceSid: config.sid,
        workflow: workflow.ref,
      });
      if (existing && options.reEvaluateTasks) {
        for (const task of this.tasks.values()) {
          if (task.workflow === workflow && (task.status === "pending" || task.status === "reserved"))
            this.reEvaluate(task);
        }
      }
    });
  }

  removeWorkflow(sid: string): Outcome {
    const workflow = this.require(this.workflows, sid, "Workflow");
    if (workflow.taskCount > 0) throw new RoutingError("conflict", `Workflow ${sid} has live tasks`);
    return this.command(() => {
      this.workflows.delete(sid);
      this.emit({
        type: "workflow.deleted",
        at: this.clock.now(),
        resourceType: "workflow",
        resourceSid: sid,
        workflow: workflow.ref,
      });
    });
  }

  updateSettings(changes: Partial<WorkspaceSettings>): Outcome {
    const next = { ...this.settings, ...changes };
    if (next.timeoutActivitySid !== undefined && !this.activities.has(next.timeoutActivitySid)) {
      throw new RoutingError("invalid", `Timeout activity ${next.timeoutActivitySid} does not exist`);
    }
    validateRules(next.channelRules);
    return this.command(() => {
      this.settings = next;
      this.compileRules();
      for (const worker of this.workers.values()) this.refreshWorker(worker);
    });
  }

  get workspaceSettings(): Readonly<WorkspaceSettings> {
    return this.settings;
  }

  // ------------------------------------------------------------------------------------------
  // Workers

  createWorker(input: NewWorker): Outcome<string> {
    const activity = this.require(this.activities, input.activitySid, "Activity");
    if (this.workersByName.has(input.friendlyName.toLowerCase())) {
      throw new RoutingError("conflict", `A worker named ${input.friendlyName} already exists`);
    }
    return this.command(() => {
      const sid = this.ids.next("WK");
      const worker: WorkerState = {
        sid,
        friendlyName: input.friendlyName,
        attributes: input.attributes ?? {},
        activity,
        dateCreated: this.clock.now(),
        dateUpdated: this.clock.now(),
        dateStatusChanged: this.clock.now(),
        activitySid: activity.sid,
        activityName: activity.friendlyName,
        slots: EMPTY,
        queues: EMPTY,
        pending: EMPTY,
        factId: this.facts.idOf(sid),
        queuedForRouting: false,
        slotsToRoute: 0,
        removed: false,
        snapshot: undefined,
      };
      for (const channel of this.channels.values()) {
        worker.slots = appended(worker.slots, {
          channel,
          capacity: 1,
          available: true,
          active: 0,
          readyKey: undefined,
          entries: NO_ENTRIES,
        });
      }
      this.workers.set(sid, worker);
      this.workersByName.set(worker.friendlyName.toLowerCase(), worker);
      this.updateMemberships(worker);
      this.emit({
        type: "worker.created",
        at: this.clock.now(),
        resourceType: "worker",
        resourceSid: sid,
        worker: workerSnapshot(worker),
      });
      this.refreshWorker(worker);
      return sid;
    });
  }

  /**
   * Changes a worker's name, attributes or activity. Moving to an unavailable activity leaves pending
   * reservations alone unless `rejectPendingReservations` is set.
   */
  updateWorker(
    sid: string,
    changes: {
      friendlyName?: string;
      attributes?: Attributes;
      activitySid?: string;
      rejectPendingReservations?: boolean;
    },
  ): Outcome {
    const worker = this.require(this.workers, sid, "Worker");
    const activity =
      changes.activitySid !== undefined
        ? this.require(this.activities, changes.activitySid, "Activity")
        : undefined;
    if (changes.friendlyName !== undefined) {
      const holder = this.workersByName.get(changes.friendlyName.toLowerCase());
      if (holder && holder !== worker) {
        throw new RoutingError("conflict", `A worker named ${changes.friendlyName} already exists`);
      }
    }
    return this.command(() => {
      worker.dateUpdated = this.clock.now();
      if (changes.friendlyName !== undefined) {
        this.workersByName.delete(worker.friendlyName.toLowerCase());
        worker.friendlyName = changes.friendlyName;
        this.workersByName.set(worker.friendlyName.toLowerCase(), worker);
      }
      if (changes.attributes !== undefined) {
        worker.attributes = changes.attributes;
        syncFacts(worker);
        this.updateMemberships(worker);
        this.emit({
          type: "worker.attributes.update",
          at: this.clock.now(),
          resourceType: "worker",
          resourceSid: sid,
          worker: workerSnapshot(worker),
        });
        // Target expressions may now match tasks that did not match this worker before.
        this.queueForRouting(worker);
      } else if (changes.friendlyName !== undefined) {
        syncFacts(worker);
      }
      if (activity && activity.sid !== worker.activity.sid) {
        this.setActivity(worker, activity);
        if (!activity.available && changes.rejectPendingReservations) {
          for (const reservation of worker.pending) this.endPending(reservation, "rejected");
        }
      }
      this.refreshWorker(worker);
    });
  }

  /** Sets a worker's capacity (0 = no new tasks) or availability on one channel. */
  setWorkerChannel(
    workerSid: string,
    channel: string,
    changes: { capacity?: number; available?: boolean },
  ): Outcome {
    const worker = this.require(this.workers, workerSid, "Worker");
    const channelState = this.channelByNameOrSid(channel);
    if (
      changes.capacity !== undefined &&
      (!Number.isInteger(changes.capacity) || changes.capacity < 0 || changes.capacity > 50)
    ) {
      throw new RoutingError("invalid", "Capacity must be a whole number from 0 to 50");
    }
    return this.command(() => {
      worker.dateUpdated = this.clock.now();
      const slot = slotOn(worker, channelState.sid)!;
      const previousCapacity = slot.capacity;
      const announce = (type: "worker.capacity.update" | "worker.channel.availability.update") =>
        this.emit({
          type: type,
          at: this.clock.now(),
          resourceType: "worker",
          resourceSid: worker.sid,
          worker: workerSnapshot(worker),
          channel: channelRef(channelState),
          workerChannel: {
            capacity: slot.capacity,
            previousCapacity,
            available: slot.available,
            taskCount: slot.active,
          },
        });
      if (changes.capacity !== undefined && changes.capacity !== slot.capacity) {
        slot.capacity = changes.capacity;
        announce("worker.capacity.update");
      }
      if (changes.available !== undefined && changes.available !== slot.available) {
        slot.available = changes.available;
        announce("worker.channel.availability.update");
      }
      this.refreshWorker(worker);
    });
  }

  /** Deletes a worker who holds no reservations. */
  removeWorker(sid: string): Outcome {
    const worker = this.require(this.workers, sid, "Worker");
    if (worker.slots.some((slot) => slot.active > 0))
      throw new RoutingError("conflict", `Worker ${sid} has active reservations`);
    return this.command(() => {
      for (const slot of worker.slots) if (slot.readyKey !== undefined) this.unindexReady(worker, slot);
      for (const queue of worker.queues) this.leaveQueue(worker, queue);
      this.workers.delete(sid);
      worker.removed = true;
      this.workersByName.delete(worker.friendlyName.toLowerCase());
      this.emit({
        type: "worker.deleted",
        at: this.clock.now(),
        resourceType: "worker",
        resourceSid: sid,
        worker: workerSnapshot(worker),
      });
      // A task waiting for this known worker now waits for nobody (until its step times out).
      for (const task of this.knownWaiting.get(sid) ?? []) this.tasksToRoute.push(task);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Tasks

  createTask(input: NewTask): Outcome<string> {
    const channel = this.channelByNameOrSid(input.channel ?? "default");
    const priority = input.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 2 ** 31 - 1) {
      throw new RoutingError("invalid", "Priority must be a whole number from 0 to 2147483647");
    }
    const timeout = input.timeout ?? DEFAULT_TASK_TIMEOUT;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 1_209_600) {
      throw new RoutingError("invalid", "Timeout must be a whole number of seconds from 1 to 1209600");
    }
    let workflow: WorkflowState | undefined;
    if (input.routingTarget) {
      this.require(this.queues, input.routingTarget.queueSid, "TaskQueue");
      if (input.routingTarget.workerSid !== undefined)
        this.require(this.workers, input.routingTarget.workerSid, "Worker");
    } else {
      if (input.workflowSid === undefined)
        throw new RoutingError("invalid", "A task needs a WorkflowSid or a routing target");
      workflow = this.require(this.workflows, input.workflowSid, "Workflow");
    }
    const outer = this.begin();
    const now = this.clock.now();
    const task = new TaskState(
      this.times,
      this.times.allocate(now),
      this.ids.next("WT"),
      ++this.taskSeq,
      input.attributes ?? {},
      priority,
      channel,
      workflow,
      timeout,
      input.virtualStartTime,
    );
    this.tasks.set(task);
    if (workflow) {
      workflow.taskCount++;
      workflow.counters.apply(task.status, task.priority, 1);
    }
    this.counters.apply(task.status, task.priority, 1);
    this.fact(FACT_KIND["task.created"], task);
    this.emit({
      type: "task.created",
      at: this.clock.now(),
      resourceType: "task",
      resourceSid: task.sid,
      task: this.taskSnapshot(task),
    });
    this.ttls.add(task);
    if (input.routingTarget) this.enterDirect(task, input.routingTarget);
    else this.enterWorkflow(task, 0);
    return this.end(outer, task.sid);
  }

  /**
   * Changes a task's attributes or priority. A waiting task whose attributes change goes through its
   * workflow's filters again.
   */
  updateTask(sid: string, changes: { attributes?: Attributes; priority?: number }): Outcome {
    const task = this.require(this.tasks, sid, "Task");
    if (!isLive(task.status))
      throw new RoutingError("conflict", `Task ${sid} is ${task.status} and cannot be updated`);
    if (
      changes.priority !== undefined &&
      (!Number.isInteger(changes.priority) || changes.priority < 0 || changes.priority > 2 ** 31 - 1)
    ) {
      throw new RoutingError("invalid", "Priority must be a whole number from 0 to 2147483647");
    }
    return this.command(() => {
      if (changes.priority !== undefined && changes.priority !== task.priority) {
        this.moveTask(task, task.status, changes.priority);
      }
      if (changes.attributes !== undefined) {
        task.attributes = changes.attributes;
        this.snapshotOf = undefined;
        task.dateUpdated = this.clock.now();
      }
      this.emit({
        type: "task.updated",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: sid,
        task: this.taskSnapshot(task),
      });
      if (changes.attributes !== undefined && (task.status === "pending" || task.status === "reserved"))
        this.reEvaluate(task);
      else this.syncTaskIndex(task);
    });
  }

  /** Cancels a waiting (pending or reserved) task. */
  cancelTask(sid: string, reason = "Task canceled"): Outcome {
    const task = this.require(this.tasks, sid, "Task");
    if (task.status !== "pending" && task.status !== "reserved") {
      throw new RoutingError(
        "conflict",
        `Task ${sid} is ${task.status}; only pending or reserved tasks can be canceled`,
      );
    }
    return this.command(() => this.cancel(task, reason));
  }

  /** Moves an assigned task to wrap-up: its worker keeps the capacity until the task completes. */
  wrapUpTask(sid: string, reason?: string): Outcome {
    const task = this.require(this.tasks, sid, "Task");
    if (task.status !== "assigned")
      throw new RoutingError("conflict", `Task ${sid} is ${task.status}; only assigned tasks can wrap up`);
    return this.command(() => this.wrapUp(task, reason));
  }

  /** Completes an assigned or wrapping task, freeing its worker's capacity. */
  completeTask(sid: string, reason = COMPLETED): Outcome {
    const task = this.require(this.tasks, sid, "Task");
    if (task.status !== "assigned" && task.status !== "wrapping") {
      throw new RoutingError(
        "conflict",
        `Task ${sid} is ${task.status}; only assigned or wrapping tasks can complete`,
      );
    }
    const outer = this.begin();
    this.complete(task, reason);
    return this.end(outer, undefined);
  }

  /** Deletes a task in any state, ending its reservations. */
  deleteTask(sid: string): Outcome {
    const task = this.require(this.tasks, sid, "Task");
    return this.command(() => {
      for (const reservation of task.pending) this.endPending(reservation, "canceled", false);
      if (task.accepted && (task.status === "assigned" || task.status === "wrapping"))
        this.endAccepted(task.accepted, "completed");
      if (isLive(task.status)) {
        this.moveTask(task, "canceled");
        task.reason = "Task deleted";
        this.leaveRouting(task);
      }
      this.fact(FACT_KIND["task.deleted"], task);
      this.emit({
        type: "task.deleted",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: sid,
        task: this.taskSnapshot(task),
      });
      this.tasks.delete(sid);
      for (const reservation of task.history) this.reservations.delete(reservation.sid);
    });
  }

  /**
   * Transfers an assigned task: a new task with the same attributes and channel is routed directly to
   * the target (a worker through a queue, or a queue). When the new task is accepted the original
   * moves to wrap-up; if it is canceled instead, the transfer failed and the original is untouched.
   */
  transferTask(
    sid: string,
    to: TransferTarget,
    /** `attributes` are added to the original's on the new task (a note for whoever takes it, say). */
    options: { priority?: number; timeout?: number; attributes?: Attributes } = {},
  ): Outcome<string> {
    const task = this.require(this.tasks, sid, "Task");
    if (task.status !== "assigned")
      throw new RoutingError(
        "conflict",
        `Task ${sid} is ${task.status}; only assigned tasks can be transferred`,
      );
    this.require(this.queues, to.queueSid, "TaskQueue");
    if ("workerSid" in to) {
      this.require(this.workers, to.workerSid, "Worker");
      if (task.accepted?.worker.sid === to.workerSid)
        throw new RoutingError("invalid", "A task cannot be transferred to the worker who has it");
    }
    return this.command(() => {
      this.emit({
        type: "task.transfer-initiated",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: sid,
        task: this.taskSnapshot(task),
      });
      const created = this.createTask({
        attributes: { ...task.attributes, ...options.attributes, transferredFrom: sid },
        channel: task.channel.sid,
        priority: options.priority ?? task.priority,
        timeout: options.timeout ?? 120,
        routingTarget: to,
      });
      this.events.push(...created.events);
      const transfer = this.tasks.get(created.result)!;
      transfer.transferredFrom = sid;
      transfer.transferOf = { taskSid: sid };
      return created.result;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Reservations

  acceptReservation(sid: string): Outcome {
    const reservation = this.require(this.reservations, sid, "Reservation");
    if (reservation.status !== "pending") {
      throw new RoutingError("conflict", `Reservation ${sid} is ${reservation.status}, not pending`);
    }
    const outer = this.begin();
    const { task } = reservation;
    const now = this.clock.now();
    task.pending = without(task.pending, reservation);
    this.moveTask(task, "assigned");
    reservation.worker.pending = without(reservation.worker.pending, reservation);
    reservation.status = "accepted";
    reservation.dateUpdated = now;
    this.reservationTimeouts.remove(reservation);
    this.fact(
      FACT_KIND["reservation.accepted"],
      task,
      reservation.worker,
      (now - task.dateCreated) / 1000,
      (now - (task.queueEnteredAt ?? task.dateCreated)) / 1000,
    );
    this.emit({
      type: "reservation.accepted",
      at: this.clock.now(),
      resourceType: "reservation",
      resourceSid: sid,
      task: this.taskSnapshot(task),
      worker: workerSnapshot(reservation.worker),
      reservation: { sid, status: "accepted" },
    });
    // First accept wins: every other pending reservation of the task is rescinded.
    for (const other of task.pending) this.endPending(other, "rescinded", false);
    this.leaveRouting(task);
    if (task.transferOf) {
      const original = this.tasks.get(task.transferOf.taskSid);
      this.emit({
        type: "task.transfer-completed",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.transferOf.taskSid,
        task: original ? this.taskSnapshot(original) : this.taskSnapshot(task),
        worker: workerSnapshot(reservation.worker),
      });
      if (original?.status === "assigned") this.wrapUp(original, "Transferred");
    }
    return this.end(outer, undefined);
  }

  /** Rejects a pending reservation; the task is offered to someone else. Optionally moves the worker to `activitySid`. */
  rejectReservation(sid: string, options: { activitySid?: string } = {}): Outcome {
    const reservation = this.require(this.reservations, sid, "Reservation");
    if (reservation.status !== "pending") {
      throw new RoutingError("conflict", `Reservation ${sid} is ${reservation.status}, not pending`);
    }
    const activity =
      options.activitySid !== undefined
        ? this.require(this.activities, options.activitySid, "Activity")
        : undefined;
    return this.command(() => {
      (reservation.task.rejectedBy ??= new Set()).add(reservation.worker.sid);
      this.endPending(reservation, "rejected");
      if (activity && activity.sid !== reservation.worker.activity.sid) {
        this.setActivity(reservation.worker, activity);
        this.refreshWorker(reservation.worker);
      }
    });
  }

  /** Wrap-up through the reservation view: the accepted reservation and its task move to wrapping. */
  wrapUpReservation(sid: string): Outcome {
    const reservation = this.require(this.reservations, sid, "Reservation");
    if (reservation.status !== "accepted")
      throw new RoutingError("conflict", `Reservation ${sid} is ${reservation.status}, not accepted`);
    return this.command(() => this.wrapUp(reservation.task, undefined));
  }

  completeReservation(sid: string): Outcome {
    const reservation = this.require(this.reservations, sid, "Reservation");
    if (reservation.status !== "accepted" && reservation.status !== "wrapping") {
      throw new RoutingError(
        "conflict",
        `Reservation ${sid} is ${reservation.status}, not accepted or wrapping`,
      );
    }
    return this.command(() => this.complete(reservation.task, "Reservation completed"));
  }

  // ------------------------------------------------------------------------------------------
  // Time

  /** When the next timer is due (ms), if any: the caller wakes the engine then with `fireDueTimers`. */
  nextTimerAt(): number | undefined {
    let next = this.timers.peek()?.at;
    const reservation = this.reservationTimeouts.peek()?.timeoutAt;
    if (reservation !== undefined && (next === undefined || reservation < next)) next = reservation;
    const ttl = this.ttls.peek()?.ttlAt;
    if (ttl !== undefined && (next === undefined || ttl < next)) next = ttl;
    if (this.timedTasks.size > 0 || this.timedQueues.size > 0) {
      const minute = (Math.floor(this.clock.now() / 60_000) + 1) * 60_000;
      if (next === undefined || minute < next) next = minute;
    }
    const oldestFinished = this.finished.oldestFinishedAt;
    if (oldestFinished !== undefined) {
      const forgetAt = oldestFinished + this.finishedRetentionMs;
      if (next === undefined || forgetAt < next) next = forgetAt;
    }
    return next;
  }

  /** Fires every timer due at the clock's current time, in due order. */
  fireDueTimers(): Outcome {
    return this.command(() => {
      const now = this.clock.now();
      // Housekeeping rides on the timer path, off the path of routing decisions.
      this.forgetFinished();
      this.tickMinute(now);
      for (;;) {
        // TTLs, reservation timeouts and step timeouts fire in due order, as if they were one
        // queue: a TTL first among equals, then the others in the order they were set.
        const ttl = this.ttls.peek();
        const reservation = this.reservationTimeouts.peek();
        const step = this.timers.peek();
        const timeoutAt = reservation?.timeoutAt ?? Infinity;
        const stepAt = step?.at ?? Infinity;
        if (ttl && ttl.ttlAt <= now && ttl.ttlAt <= timeoutAt && ttl.ttlAt <= stepAt) {
          // A task is among the TTL deadlines only while it waits.
          this.cancel(ttl, "Task TTL Exceeded");
        } else if (
          reservation &&
          timeoutAt <= now &&
          (timeoutAt < stepAt || (timeoutAt === stepAt && reservation.timeoutSeq < step!.seq))
        ) {
          // A reservation is among the timeouts only while it is pending.
          this.timeOut(reservation);
        } else if (step && stepAt <= now) {
          this.timers.popDue(now);
          const task = this.tasks.get(step.ref);
          if (task?.step && task.stepToken === step.token) {
            if (task.status === "pending") this.advanceStep(task, "timeout");
            else if (task.status === "reserved") task.stepExpired = true;
          }
        } else break;
        // Each timer's consequences are routed before the next fires, as if they came one by one.
        this.route();
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Reading

  worker(sid: string): WorkerView | undefined {
    const worker = this.workers.get(sid);
    return worker && workerView(worker);
  }

  allWorkers(): WorkerView[] {
    return [...this.workers.values()].map(workerView);
  }

  task(sid: string): TaskView | undefined {
    const task = this.tasks.get(sid);
    return task && this.taskView(task);
  }

  allTasks(): TaskView[] {
    return this.tasks.values().map((t) => this.taskView(t));
  }

  reservation(sid: string): ReservationView | undefined {
    const reservation = this.reservations.get(sid);
    return reservation && reservationView(reservation);
  }

  reservationsOfTask(taskSid: string): ReservationView[] {
    return (this.tasks.get(taskSid)?.history ?? NONE).map(reservationView);
  }

  reservationsOfWorker(workerSid: string): ReservationView[] {
    return this.reservations.values((r) => r.worker.sid === workerSid).map(reservationView);
  }

  queueMembers(queueSid: string): string[] {
    return [...this.require(this.queues, queueSid, "TaskQueue").members].map((w) => w.sid);
  }

  /** SIDs of the queues a worker with these attributes would belong to (TaskQueue list filter). */
  queuesForAttributes(attributes: Attributes): string[] {
    const facts: WorkerFacts = { sid: "", friendlyName: "", activitySid: "", activityName: "", attributes };
    const now = this.clock.now();
    return [...this.queues.values()]
      .filter((q) => q.targetWorkers.test({ now, worker: facts }))
      .map((q) => q.config.sid);
  }

  /**
   * Where the waiting task whose attribute `name` is `value` stands, for "estimated wait" lines.
   * It is found by a scan of the waiting tasks, so this serves occasional reads (a waiting
   * customer's widget every few seconds), not the routing path.
   */
  waitingPosition(name: string, value: string): WaitingPosition | undefined {
    // Of several waiting tasks with that value, the one created first.
    let task: TaskState | undefined;
    for (const waiting of this.waitingTasks())
      if (waiting.attributes[name] === value && (!task || createdBefore(waiting, task))) task = waiting;
    if (task) {
      const queue = task.queue!;
      // `waitingTasks` is in queue-entry order: a task met before this one entered earlier.
      // A reserved task is being offered right now, so nobody is ahead of it.
      let ahead = 0;
      let earlier = true;
      if (task.status === "pending")
        for (const other of queue.waitingTasks) {
          if (other === task) earlier = false;
          else if (other.priority > task.priority || (other.priority === task.priority && earlier)) ahead++;
        }
      return {
        taskSid: task.sid,
        queueSid: queue.config.sid,
        ahead,
        staffedAgents: queue.availableMembers,
        idleAgents: queue.ready[task.channel.index]?.size ?? 0,
      };
    }
    return undefined;
  }

  /** Real-time statistics of the workspace, a queue or a workflow, in Twilio's field names. */
  realtimeStatistics(scope: Scope): RealtimeStatistics {
    const now = this.clock.now();
    let counters: ScopeCounters;
    let waiting: Iterable<TaskState>;
    let inEntryOrder: TaskState | undefined;
    let members: Iterable<WorkerState> | undefined;
    let queueState: QueueState | undefined;
    if (scope.kind === "queue") {
      const queue = this.require(this.queues, scope.sid, "TaskQueue");
      queueState = queue;
      counters = queue.counters;
      waiting = queue.waitingTasks;
      inEntryOrder = queue.waitingTasks.first();
      members = queue.members;
    } else if (scope.kind === "workflow") {
      const workflow = this.require(this.workflows, scope.sid, "Workflow");
      counters = workflow.counters;
      waiting = filter(this.waitingTasks(), (t) => t.workflow === workflow);
    } else {
      counters = this.counters;
      // Each queue knows its oldest waiting task, so the workspace's is the oldest of those.
      waiting = oldestOfEachQueue(this.queues.values());
      members = this.workers.values();
    }
    let oldest: TaskState | undefined;
    if (queueState) oldest = oldestWaiting(queueState);
    else for (const task of waiting) if (!oldest || createdBefore(task, oldest)) oldest = task;
    const base = {
      tasks_by_status: { ...counters.byStatus },
      tasks_by_priority: Object.fromEntries(counters.byPriority().map(([p, n]) => [String(p), n])),
      total_tasks: counters.total,
      longest_task_waiting_sid: oldest?.sid ?? null,
      longest_task_waiting_age: oldest ? Math.floor((now - oldest.dateCreated) / 1000) : 0,
    };
    if (!members) return base;
    // A queue keeps its members' activity counts as they change; the workspace counts its workers.
    let activityCounts: Map<string, number>;
    let available: number;
    let total: number;
    if (queueState) {
      activityCounts = queueState.activityCounts;
      available = queueState.availableMembers;
      total = queueState.members.size;
    } else {
      activityCounts = new Map<string, number>();
      available = 0;
      total = 0;
      for (const worker of members) {
        total++;
        activityCounts.set(worker.activity.sid, (activityCounts.get(worker.activity.sid) ?? 0) + 1);
        if (worker.activity.available) available++;
      }
    }
    const activity_statistics = [...this.activities.values()].map((a) => ({
      sid: a.sid,
      friendly_name: a.friendlyName,
      workers: activityCounts.get(a.sid) ?? 0,
    }));
    if (scope.kind === "workspace") return { ...base, activity_statistics, total_workers: total };
    return {
      ...base,
      longest_relative_task_sid_in_queue: inEntryOrder?.sid ?? null,
      longest_relative_task_age_in_queue:
        inEntryOrder?.queueEnteredAt !== undefined
          ? Math.floor((now - inEntryOrder.queueEnteredAt) / 1000)
          : 0,
      activity_statistics,
      total_eligible_workers: total,
      total_available_workers: available,
    };
  }

  /** Cumulative statistics over [from, to] (ms), in Twilio's field names (durations in seconds). */
  cumulativeStatistics(
    scope: Scope,
    from: number,
    to: number,
    options: { channel?: string; splitByWaitTime?: number[] } = {},
  ) {
    if (scope.kind === "queue") this.require(this.queues, scope.sid, "TaskQueue");
    if (scope.kind === "workflow") this.require(this.workflows, scope.sid, "Workflow");
    const channelSid =
      options.channel !== undefined ? this.channelByNameOrSid(options.channel).sid : undefined;
    return this.facts.cumulative(scope, from, to, channelSid, options.splitByWaitTime);
  }

  /**
   * Cumulative statistics of one worker, or of all workers, over [from, to] (ms), in Twilio's field
   * names: reservations by outcome and, per activity, the time spent in it (seconds) counting the
   * stretch each worker is in now.
   */
  workerCumulativeStatistics(workerSid: string | undefined, from: number, to: number, channel?: string) {
    if (workerSid !== undefined) this.require(this.workers, workerSid, "Worker");
    const channelSid = channel !== undefined ? this.channelByNameOrSid(channel).sid : undefined;
    const { reservations, activityStretches } = this.facts.workerFigures(workerSid, from, to, channelSid);
    const current = workerSid !== undefined ? [this.workers.get(workerSid)!] : this.workers.values();
    for (const worker of current) {
      const seconds = (to - Math.max(worker.dateStatusChanged, from)) / 1000;
      if (seconds <= 0) continue;
      const list = activityStretches.get(worker.activity.sid);
      if (list) list.push(seconds);
      else activityStretches.set(worker.activity.sid, [seconds]);
    }
    return {
      start_time: from,
      end_time: to,
      reservations_created: reservations.created,
      reservations_accepted: reservations.accepted,
      reservations_rejected: reservations.rejected,
      reservations_timed_out: reservations.timed_out,
      reservations_canceled: reservations.canceled,
      reservations_rescinded: reservations.rescinded,
      activity_durations: [...this.activities.values()].map((a) => ({
        sid: a.sid,
        friendly_name: a.friendlyName,
        ...summary(activityStretches.get(a.sid) ?? []),
      })),
    };
  }

  /** Why a task is where it is: the filter and step, and for each candidate worker why it was or was not offered the task. */
  explain(taskSid: string): Explanation {
    const task = this.require(this.tasks, taskSid, "Task");
    const now = this.clock.now();
    const filters =
      task.workflow?.compiled.filters.map((f, index) => ({
        index,
        name: f.name,
        expression: f.expression.source,
        matches: f.expression.test({ now, task: task.attributes }),
      })) ?? [];
    const step = task.step;
    const reservations = task.history.map(reservationView);
    const candidates: CandidateVerdict[] = [];
    if (step) {
      const { queue } = step;
      const considered = new Set<WorkerState>(queue.members);
      if (task.knownWorkerSid) {
        const known = this.workers.get(task.knownWorkerSid);
        if (known) considered.add(known);
      }
      for (const worker of considered)
        candidates.push({
          workerSid: worker.sid,
          workerName: worker.friendlyName,
          ...this.verdict(task, worker, queue),
        });
    }
    return {
      taskSid,
      status: task.status,
      workflowSid: task.workflow?.config.sid,
      filters,
      position: step && {
        filter: step.filter,
        filterName: step.filterName,
        step: step.index,
        stepEnteredAt: task.stepEnteredAt,
        queueSid: step.target.queueSid,
        expression: step.target.expression?.source,
        priority: step.target.priority,
        timeout: step.target.timeout,
        knownWorkerSid: task.knownWorkerSid,
        orderBy:
          step.target.orderBy.map((c) => `worker.${c.path.join(".")} ${c.direction}`).join(", ") || undefined,
      },
      reservations,
      candidates,
    };
  }

  /**
   * Where a task with these attributes would go now under a workflow configuration — saved or not —
   * without creating it: which filters match, and for each step of the one it takes, the queue, the
   * step's settings, each queue member's verdict and who would be offered the task first. This is
   * what lets an admin try a workflow change before saving it.
   */
  routeSample(configuration: string | object, attributes: Attributes, channel = "default"): SampleRoute {
    const compiled = compileWorkflow(configuration, (sid) => this.queues.has(sid));
    const taskChannel = this.channelByNameOrSid(channel);
    const now = this.clock.now();
    const filters = compiled.filters.map((f, index) => ({
      index,
      name: f.name,
      expression: f.expression.source,
      matches: f.expression.test({ now, task: attributes }),
    }));
    const taken = filters.find((f) => f.matches);
    const targets = taken
      ? compiled.filters[taken.index]!.targets
      : compiled.defaultQueueSid !== undefined
        ? [queueTarget(compiled.defaultQueueSid)]
        : [];
    return {
      filters,
      filter: taken ? taken.index : targets.length > 0 ? "default" : undefined,
      steps: targets.map((target, step) => this.sampleStep(step, target, attributes, taskChannel, now)),
    };
  }

  private sampleStep(
    step: number,
    target: Target,
    attributes: Attributes,
    channel: ChannelState,
    now: number,
  ): SampleStep {
    const queue = this.queues.get(target.queueSid)!;
    const known = target.knownWorker && this.resolveKnownWorker(attributes, target.knownWorker);
    const candidates: CandidateVerdict[] = [];
    const eligible: WorkerState[] = [];
    for (const worker of queue.members) {
      const verdict =
        known !== undefined && known !== worker.sid
          ? {
              verdict: "not_known_worker" as const,
              detail: `the step is for worker ${known ?? "(none named)"}`,
            }
          : target.expression && !target.expression.test({ now, task: attributes, worker })
            ? { verdict: "expression_false" as const, detail: `${target.expression.source} is false` }
            : (this.unready(worker, channel) ?? {
                verdict: "eligible" as const,
                detail: "ready and eligible",
              });
      if (verdict.verdict === "eligible") eligible.push(worker);
      candidates.push({ workerSid: worker.sid, workerName: worker.friendlyName, ...verdict });
    }
    // The order routing offers in: order_by, then the longest idle on the channel.
    eligible.sort(
      (a, b) =>
        compareByOrder(a, b, target.orderBy) ||
        slotOn(a, channel.sid)!.readyKey! - slotOn(b, channel.sid)!.readyKey!,
    );
    return {
      step,
      queueSid: queue.config.sid,
      queueName: queue.config.friendlyName,
      expression: target.expression?.source,
      priority: target.priority,
      timeout: target.timeout,
      orderBy: target.orderBy.map((c) => `worker.${c.path.join(".")} ${c.direction}`).join(", ") || undefined,
      skipped: eligible.length === 0 && (target.skipIf?.test({ now, workers: population(queue) }) ?? false),
      waitingAhead: queue.waiting[channel.index]?.size ?? 0,
      offerTo: eligible.slice(0, queue.config.maxReservedWorkers).map((w) => w.sid),
      candidates,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Command plumbing

  /** Every waiting task: between commands, each one waits in its queue's `waitingTasks`. */
  private *waitingTasks(): Iterable<TaskState> {
    for (const queue of this.queues.values()) yield* queue.waitingTasks;
  }

  /** Runs a mutation, routes to a fixpoint, and hands back the events. */
  private command<T>(mutate: () => T): Outcome<T> {
    const outer = this.begin();
    return this.end(outer, mutate());
  }

  /**
   * Starts a command: the events from here on are its own. Commands nest (a transfer creates a
   * task), so this hands back the enclosing command's events for `end` to restore. The commands
   * every routing decision makes (creating and completing a task, accepting a reservation) call
   * `begin` and `end` themselves: a closure passed to `command` was an allocation and a call the
   * optimizer could not inline, on every decision.
   *
   * A command that throws midway (a bug: commands check their input before they begin) leaves its
   * events in `events`; the next command sets them aside and never returns them.
   */
  private begin(): RoutingEvent[] {
    const outer = this.events;
    this.events = [];
    this.snapshotOf = undefined;
    return outer;
  }

  /** Ends a command: routes to a fixpoint and hands back its events with its result. */
  private end<T>(outer: RoutingEvent[], result: T): Outcome<T> {
    this.route();
    const events = this.events;
    this.events = outer;
    return { result, events };
  }

  /** On a new minute, re-tests what depends on the time of day: time-based queue membership and step expressions. */
  private tickMinute(now: number): void {
    const minute = Math.floor(now / 60_000);
    if (minute === this.lastMinute) return;
    this.lastMinute = minute;
    for (const queue of this.timedQueues)
      for (const worker of this.workers.values()) this.updateMembership(worker, queue);
    for (const task of this.timedTasks) {
      this.syncTaskIndex(task);
      this.tasksToRoute.push(task);
    }
    this.route();
  }

  /** Drops tasks (and their reservations) that finished longer ago than the retention window. */
  private forgetFinished(): void {
    this.finished.forget(this.clock.now() - this.finishedRetentionMs);
  }

  /**
   * Records an event. Each caller builds the whole event in one object literal, its four common fields
   * first: adding fields to an object once made moves it through hidden classes and grows a property
   * store, which cost 8% of the routing benchmark.
   */
  private emit(event: RoutingEvent): void {
    this.events.push(event);
  }

  private require<V>(map: { get(sid: string): V | undefined }, sid: string, what: string): V {
    const value = map.get(sid);
    if (value === undefined) throw new RoutingError("not_found", `${what} ${sid} does not exist`);
    return value;
  }

  private channelByNameOrSid(channel: string): ChannelState {
    const found = this.channels.get(channel) ?? this.channelsByName.get(channel);
    if (!found) throw new RoutingError("not_found", `TaskChannel ${channel} does not exist`);
    return found;
  }

  private compileRules(): void {
    for (const channel of this.channels.values()) channel.rules = [];
    this.hasRules = false;
    for (const rule of this.settings.channelRules) {
      const channel = this.channelsByName.get(rule.channel);
      const whileOn = this.channelsByName.get(rule.whileOn);
      if (!channel || !whileOn) continue; // a rule about a channel that does not exist yet blocks nothing
      channel.rules = [...channel.rules, { whileOn: whileOn.sid, atLeast: rule.atLeast }];
      this.hasRules = true;
    }
  }

  /** Records a fact about a task (and the worker of its reservation, for reservation facts). */
  private fact(
    kind: number,
    task: TaskState,
    worker?: WorkerState,
    waitSeconds?: number,
    queueWaitSeconds?: number,
  ): void {
    this.facts.record(
      this.clock.now(),
      kind,
      task.queue?.factId ?? NO_FACT_ID,
      task.workflow?.factId ?? NO_FACT_ID,
      task.channel.factId,
      worker?.factId ?? NO_FACT_ID,
      waitSeconds,
      queueWaitSeconds,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Workers: readiness, membership, activity

  /**
   * A worker is ready on a channel when its activity is available, the channel is switched on, it has
   * capacity left, and no channel rule blocks it. Only ready workers are in the `ready` indexes.
   */
  private isReady(worker: WorkerState, slot: Slot): boolean {
    if (!worker.activity.available || !slot.available || slot.active >= slot.capacity) return false;
    const rules = slot.channel.rules;
    for (let i = 0; i < rules.length; i++)
      if ((slotOn(worker, rules[i]!.whileOn)?.active ?? 0) >= rules[i]!.atLeast) return false;
    return true;
  }

  /**
   * Brings a worker's ready-index entries in line with its state: after a change of one slot's load
   * (`changed`: a task reserved or ended on it) or, without it, of anything (activity, channels,
   * rules). `bump` moves the worker to the back of the line on `changed` (it just got a task). A
   * worker that became ready on a channel is queued for routing there.
   */
  private refreshWorker(worker: WorkerState, changed?: Slot, bump = false): void {
    // One slot's load changes whether another slot is ready only through a channel rule.
    if (changed && !this.hasRules) {
      this.refreshSlot(worker, changed, bump);
      return;
    }
    const slots = worker.slots;
    for (let i = 0; i < slots.length; i++) this.refreshSlot(worker, slots[i]!, bump && slots[i] === changed);
  }

  /**
   * A slot that becomes ready is queued for routing, and joins its queues' ready lines only when
   * routing finds no task for it (`routeWorker`): a worker finishing a task mostly takes the next one
   * at once, and joining three lines to leave them again was a tenth of a decision. Until then its
   * entries are NOT_YET_INDEXED. Nothing looks for ready workers in the lines meanwhile: `route()`
   * routes queued workers before any task.
   */
  private refreshSlot(worker: WorkerState, slot: Slot, bump: boolean): void {
    const ready = this.isReady(worker, slot);
    if (ready && slot.readyKey === undefined) {
      slot.readyKey = ++this.readySeq;
      slot.entries = NOT_YET_INDEXED;
      this.queueForRouting(worker, slot);
    } else if (!ready && slot.readyKey !== undefined) {
      this.unindexReady(worker, slot);
    } else if (ready && bump) {
      const indexed = slot.entries !== NOT_YET_INDEXED;
      this.unindexReady(worker, slot);
      slot.readyKey = ++this.readySeq;
      if (indexed) this.indexReady(worker, slot);
      else slot.entries = NOT_YET_INDEXED;
    }
  }

  private indexReady(worker: WorkerState, slot: Slot): void {
    let entries: ReadyEntry[] | undefined;
    const queues = worker.queues;
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[i]!;
      const line = queue.ready[slot.channel.index];
      if (line) (entries ??= []).push(standInLine(line, worker, queue, slot.readyKey!));
    }
    slot.entries = entries ?? NO_ENTRIES;
  }

  private unindexReady(worker: WorkerState, slot: Slot): void {
    const { entries } = slot;
    for (let i = 0; i < entries.length; i++) entries[i]!.line.remove(entries[i]!);
    slot.entries = NO_ENTRIES;
    slot.readyKey = undefined;
  }

  /**
   * Re-tests the worker against every queue its attributes may admit it to, and leaves the others:
   * their TargetWorkers is false for it (QueueKeys' invariant).
   */
  private updateMemberships(worker: WorkerState): void {
    const candidates = this.queueKeys.candidates(worker.attributes);
    for (const queue of worker.queues) if (!candidates.has(queue)) this.leaveQueue(worker, queue);
    for (const queue of candidates) this.updateMembership(worker, queue);
  }

  /** Re-tests TargetWorkers for one worker and one queue, joining or leaving it. */
  private updateMembership(worker: WorkerState, queue: QueueState): void {
    const belongs = this.holds(queue.targetWorkers, undefined, worker);
    if (belongs && !worker.queues.includes(queue)) {
      worker.queues = appended(worker.queues, queue);
      queue.members.add(worker);
      queue.activityCounts.set(worker.activity.sid, (queue.activityCounts.get(worker.activity.sid) ?? 0) + 1);
      if (worker.activity.available) queue.availableMembers++;
      for (const slot of worker.slots) {
        const line = slot.readyKey !== undefined ? queue.ready[slot.channel.index] : undefined;
        if (line && slot.entries !== NOT_YET_INDEXED)
          slot.entries = [...slot.entries, standInLine(line, worker, queue, slot.readyKey!)];
      }
      this.queueForRouting(worker);
    } else if (!belongs && worker.queues.includes(queue)) {
      this.leaveQueue(worker, queue);
    }
  }

  private leaveQueue(worker: WorkerState, queue: QueueState): void {
    worker.queues = without(worker.queues, queue);
    queue.members.delete(worker);
    queue.activityCounts.set(worker.activity.sid, (queue.activityCounts.get(worker.activity.sid) ?? 1) - 1);
    if (worker.activity.available) queue.availableMembers--;
    leaveReadyLines(worker, queue);
  }

  private setActivity(worker: WorkerState, activity: Activity): void {
    const previous = worker.activity;
    const now = this.clock.now();
    for (const queue of worker.queues) {
      queue.activityCounts.set(previous.sid, (queue.activityCounts.get(previous.sid) ?? 1) - 1);
      queue.activityCounts.set(activity.sid, (queue.activityCounts.get(activity.sid) ?? 0) + 1);
      queue.availableMembers += Number(activity.available) - Number(previous.available);
    }
    const durationMs = now - worker.dateStatusChanged;
    this.facts.recordActivity(now, worker.factId, this.facts.idOf(previous.sid), durationMs / 1000);
    worker.activity = activity;
    worker.dateStatusChanged = now;
    worker.dateUpdated = now;
    syncFacts(worker);
    // Target expressions may read worker.activity_name: the worker looks for work again.
    this.queueForRouting(worker);
    this.emit({
      type: "worker.activity.update",
      at: this.clock.now(),
      resourceType: "worker",
      resourceSid: worker.sid,
      worker: workerSnapshot(worker),
      previousActivity: { sid: previous.sid, name: previous.friendlyName, durationMs },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Tasks: workflow steps, indexes

  /**
   * Moves a task to a status, priority and queue: every change to those three goes through here, so
   * the scope counters and the waiting sets stay exact (the task's old contribution is taken out and
   * the new one put in). Callers change what else goes with the move (pending reservations, queue
   * entry time) before, and set a reason after: the reason stored depends on the new status. Plain
   * arguments, not a closure making the change: a closure was an allocation, five times a decision.
   */
  private moveTask(task: TaskState, to: TaskStatus, toPriority = task.priority, toQueue = task.queue): void {
    const { status, priority, queue } = task;
    task.status = to;
    task.priority = toPriority;
    task.queue = toQueue;
    this.snapshotOf = undefined;
    task.dateUpdated = this.clock.now();
    this.counters.move(status, priority, task.status, task.priority);
    // The workflow never changes; the queue may.
    task.workflow?.counters.move(status, priority, task.status, task.priority);
    if (task.queue === queue) queue?.counters.move(status, priority, task.status, task.priority);
    else {
      queue?.counters.apply(status, priority, -1);
      task.queue?.counters.apply(task.status, task.priority, 1);
    }
    const wasWaiting = isWaiting(status);
    const nowWaiting = isWaiting(task.status);
    if (wasWaiting && queue && (!nowWaiting || task.queue !== queue)) leaveWaiting(queue, task);
    if (nowWaiting && task.queue && (!wasWaiting || task.queue !== queue)) enterWaiting(task.queue, task);
    if (wasWaiting && !nowWaiting) {
      this.ttls.remove(task);
      removeFrom(this.timedTasks, task);
    }
    if (isLive(status) && !isLive(task.status)) {
      if (task.queue) task.queue.taskCount--;
      if (task.workflow) task.workflow.taskCount--;
      // Every task passes here exactly once, deleted ones included: `finished` frees its row of times.
      // Nothing changes a task once it has finished (`updateTask` refuses it, `deleteTask` changes
      // only live tasks), so its history is complete.
      this.finished.add(task, hashSid(task.sid), task.row, task.dateUpdated, task.history);
    }
  }

  /** Tries filters from `from` on; enters the first match, else default_filter, else cancels. */
  private enterWorkflow(task: TaskState, from: number): void {
    const workflow = task.workflow!;
    if (from === 0) {
      this.emit({
        type: "workflow.entered",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.sid,
        task: this.taskSnapshot(task),
        workflow: workflow.ref,
      });
    }
    const match = workflow.compiled.index.firstMatch(this.filterContext(task), from);
    if (match >= 0) {
      this.enterStep(task, workflow.steps[match]![0]!);
      return;
    }
    if (workflow.defaultStep) {
      this.enterStep(task, workflow.defaultStep);
      return;
    }
    this.cancel(task, "No filter matched and the workflow has no default_filter");
  }

  private enterStep(task: TaskState, step: Step): void {
    this.place(task, step);
    this.emit({
      type: "workflow.target-matched",
      at: this.clock.now(),
      resourceType: "task",
      resourceSid: task.sid,
      task: this.taskSnapshot(task),
      workflow: task.workflow!.ref,
      step: step.ref,
    });
  }

  private enterDirect(task: TaskState, routingTarget: NonNullable<NewTask["routingTarget"]>): void {
    const step: Step = {
      filter: "direct",
      filterName: "Routing target",
      index: 0,
      target: queueTarget(
        routingTarget.queueSid,
        routingTarget.workerSid !== undefined ? { by: "sid", path: [] } : undefined,
      ),
      queue: this.queues.get(routingTarget.queueSid)!,
      reservationTimeout: routingTarget.reservationTimeout ?? DEFAULT_RESERVATION_TIMEOUT,
      ref: { filterName: "Routing target", index: 0 },
    };
    this.place(task, step, routingTarget.workerSid);
  }

  /** Puts a task into a routing step: its queue, priority, timer and indexes. */
  private place(task: TaskState, step: Step, directWorkerSid?: string): void {
    const now = this.clock.now();
    const { target, queue } = step;
    const previousQueue = task.queue;
    this.unindexTask(task);
    if (previousQueue !== queue) {
      if (previousQueue) previousQueue.taskCount--;
      queue.taskCount++;
      task.queueEnteredAt = now;
    }
    this.moveTask(task, task.status, target.priority ?? task.priority, queue);
    let knownWorkerSid: string | null | undefined;
    if (directWorkerSid !== undefined) knownWorkerSid = directWorkerSid;
    else if (target.knownWorker)
      knownWorkerSid = this.resolveKnownWorker(task.attributes, target.knownWorker);
    task.step = step;
    task.stepEnteredAt = now;
    task.stepToken = ++this.stepToken;
    task.stepExpired = false;
    if (target.skipIf) this.justEnteredStep.add(task);
    else removeFrom(this.justEnteredStep, task);
    task.knownWorkerSid = knownWorkerSid;
    if (previousQueue !== queue) {
      if (previousQueue) {
        this.fact(FACT_KIND["task.moved"], task);
        this.emit({
          type: "task-queue.moved",
          at: this.clock.now(),
          resourceType: "task",
          resourceSid: task.sid,
          task: this.taskSnapshot(task),
          queue: queue.ref,
        });
      }
      this.fact(FACT_KIND["task.entered"], task);
      this.emit({
        type: "task-queue.entered",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.sid,
        task: this.taskSnapshot(task),
        queue: queue.ref,
      });
    }
    if (target.timeout !== undefined)
      this.timers.add(now + target.timeout * 1000, task.sid, task.stepToken, ++this.deadlineSeq);
    if (target.expression?.usesTime) this.timedTasks.add(task);
    else removeFrom(this.timedTasks, task);
    this.syncTaskIndex(task);
    this.tasksToRoute.push(task);
  }

  private resolveKnownWorker(
    attributes: Attributes,
    known: NonNullable<Target["knownWorker"]>,
  ): string | null {
    let value: unknown = attributes;
    for (const segment of known.path) {
      value =
        value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, segment)
          ? (value as Record<string, unknown>)[segment]
          : null;
    }
    if (typeof value !== "string") return null;
    if (known.by === "sid") return value;
    return this.workersByName.get(value.toLowerCase())?.sid ?? null;
  }

  /** Moves to the next step after a timeout or skip; past the last step the task leaves the workflow. */
  private advanceStep(task: TaskState, cause: "timeout" | "skip"): void {
    const step = task.step!;
    const queue = task.queue!;
    if (cause === "timeout") {
      this.emit({
        type: "task-queue.timeout",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.sid,
        task: this.taskSnapshot(task),
        queue: queue.ref,
        step: step.ref,
      });
    }
    const filter = step.filter;
    const next = typeof filter === "number" ? task.workflow!.steps[filter]![step.index + 1] : undefined;
    if (next) {
      this.enterStep(task, next);
      return;
    }
    const workflowRef = task.workflow && {
      sid: task.workflow.config.sid,
      name: task.workflow.config.friendlyName,
    };
    if (cause === "skip" && typeof filter === "number") {
      // Every step of the filter was skipped: the task did not match it after all.
      this.emit({
        type: "workflow.skipped",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.sid,
        task: this.taskSnapshot(task),
        ...(workflowRef && { workflow: workflowRef }),
        step: step.ref,
      });
      this.enterWorkflow(task, filter + 1);
      return;
    }
    if (cause === "timeout") {
      this.fact(FACT_KIND["task.timed-out-in-workflow"], task);
      this.emit({
        type: "workflow.timeout",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.sid,
        task: this.taskSnapshot(task),
        ...(workflowRef && { workflow: workflowRef }),
        step: step.ref,
      });
      this.cancel(task, "Workflow Timeout");
    }
  }

  /** Runs a waiting task through the filters again, after its attributes or its workflow changed. */
  private reEvaluate(task: TaskState): void {
    if (task.step?.filter === "direct") {
      this.syncTaskIndex(task);
      this.tasksToRoute.push(task);
      return;
    }
    const match = task.workflow!.compiled.index.firstMatch(this.filterContext(task), 0);
    const filter = match >= 0 ? match : "default";
    if (task.step && task.step.filter === filter) {
      // Same filter: stay in the step, but the task may now suit other workers.
      this.syncTaskIndex(task);
      this.tasksToRoute.push(task);
      return;
    }
    for (const reservation of task.pending) this.endPending(reservation, "canceled", false);
    this.enterWorkflow(task, 0);
  }

  private cancel(task: TaskState, reason: string): void {
    const now = this.clock.now();
    for (const reservation of task.pending) this.endPending(reservation, "canceled", false);
    this.moveTask(task, "canceled");
    task.reason = reason;
    this.leaveRouting(task);
    this.fact(FACT_KIND["task.canceled"], task, undefined, (now - task.dateCreated) / 1000);
    this.emit({
      type: "task.canceled",
      at: this.clock.now(),
      resourceType: "task",
      resourceSid: task.sid,
      task: this.taskSnapshot(task),
    });
    if (task.transferOf) {
      const original = this.tasks.get(task.transferOf.taskSid);
      this.emit({
        type: "task.transfer-failed",
        at: this.clock.now(),
        resourceType: "task",
        resourceSid: task.transferOf.taskSid,
        task: original ? this.taskSnapshot(original) : this.taskSnapshot(task),
      });
    }
  }

  private wrapUp(task: TaskState, reason: string | undefined): void {
    const reservation = task.accepted!;
    this.moveTask(task, "wrapping");
    if (reason !== undefined) task.reason = reason;
    reservation.status = "wrapping";
    reservation.dateUpdated = this.clock.now();
    this.emit({
      type: "task.wrapup",
      at: this.clock.now(),
      resourceType: "task",
      resourceSid: task.sid,
      task: this.taskSnapshot(task),
    });
    this.emit({
      type: "reservation.wrapup",
      at: this.clock.now(),
      resourceType: "reservation",
      resourceSid: reservation.sid,
      task: this.taskSnapshot(task),
      worker: workerSnapshot(reservation.worker),
      reservation: { sid: reservation.sid, status: "wrapping" },
    });
  }

  private complete(task: TaskState, reason: string): void {
    this.moveTask(task, "completed");
    task.reason = reason;
    this.fact(FACT_KIND["task.completed"], task);
    this.emit({
      type: "task.completed",
      at: this.clock.now(),
      resourceType: "task",
      resourceSid: task.sid,
      task: this.taskSnapshot(task),
    });
    this.endAccepted(task.accepted!, "completed");
  }

  /** A task that is assigned or finished leaves every routing index (its step stays, for explain). */
  private leaveRouting(task: TaskState): void {
    this.unindexTask(task);
    removeFrom(this.justEnteredStep, task);
  }

  /**
   * A task is matchable while it is waiting in a step that can still take reservations: pending or
   * reserved, fewer pending reservations than the queue's MaxReservedWorkers, and a worker expression
   * that is not constant false. Matchable tasks sit in `queue.waiting`, or in `knownWaiting` when the
   * step names one worker.
   */
  private syncTaskIndex(task: TaskState): void {
    const step = task.step;
    const queue = task.queue;
    const matchable =
      step !== undefined &&
      queue !== undefined &&
      (task.status === "pending" || task.status === "reserved") &&
      task.pending.length < queue.config.maxReservedWorkers &&
      step.target.expression?.constant !== false;
    const knownSid = task.knownWorkerSid;
    if (!matchable) {
      this.unindexTask(task);
      return;
    }
    if (knownSid !== undefined) {
      if (knownSid === null || task.knownKey !== knownSid) this.unindexTask(task);
      if (knownSid !== null && task.knownKey !== knownSid) {
        let set = this.knownWaiting.get(knownSid);
        if (!set) this.knownWaiting.set(knownSid, (set = new Set()));
        set.add(task);
        task.knownKey = knownSid;
        this.tasksToRoute.push(task);
      }
      return;
    }
    if (task.band?.priority === task.priority) return;
    this.unindexTask(task);
    waitingLine(queue, task.channel).add(task, task.priority);
    this.tasksToRoute.push(task);
  }

  private unindexTask(task: TaskState): void {
    if (task.band !== undefined) task.queue!.waiting[task.channel.index]!.remove(task);
    if (task.knownKey !== undefined) {
      // An emptied set goes, so that `knownWaiting` is empty whenever no task waits for a named worker.
      const waiting = this.knownWaiting.get(task.knownKey);
      if (waiting?.delete(task) && waiting.size === 0) this.knownWaiting.delete(task.knownKey);
      task.knownKey = undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Matching

  /**
   * Offers tasks to workers until nothing more can be matched. Workers go first: a worker that became
   * ready takes the best waiting task, including tasks that arrived in this command, so queue order
   * holds. The workers still ready afterwards found nothing they are eligible for, so a new task may
   * take one of them; new tasks go in rank order for the same reason.
   */
  private route(): void {
    while (this.tasksToRoute.length > 0 || this.workersQueued > 0) {
      // Routing a worker may queue others; they are routed in this loop too.
      const workers = this.workersToRoute;
      for (let i = 0; i < this.workersQueued; i++) {
        const worker = workers[i]!;
        worker.queuedForRouting = false;
        this.routeWorker(worker);
      }
      this.workersQueued = 0;
      if (this.tasksToRoute.length === 0) continue;
      // Tasks queued while these are routed wait for the next pass.
      const tasks = withoutRepeats(this.tasksToRoute);
      this.tasksToRoute = [];
      if (tasks.length > 1) tasks.sort((a, b) => this.rank(a, b));
      for (let i = 0; i < tasks.length; i++) this.routeTask(tasks[i]!);
    }
  }

  /**
   * Queues a worker for routing on one channel (its slot became ready or has capacity again: other
   * channels have nothing new to find) or, without a slot, on all (its activity, attributes or queues
   * changed).
   */
  private queueForRouting(worker: WorkerState, slot?: Slot): void {
    const i = slot ? slot.channel.index : -1;
    // Channels numbered past a number's bits are routed with all the others.
    worker.slotsToRoute |= i >= 0 && i < 31 ? 1 << i : EVERY_SLOT;
    if (worker.queuedForRouting) return;
    worker.queuedForRouting = true;
    this.workersToRoute[this.workersQueued++] = worker;
  }

  private eligible(task: TaskState, worker: WorkerState): boolean {
    if (task.rejectedBy?.has(worker.sid)) return false;
    const { pending } = task;
    for (let i = 0; i < pending.length; i++) if (pending[i]!.worker === worker) return false;
    const expression = task.step!.target.expression;
    return expression === undefined || this.holds(expression, task.attributes, worker);
  }

  /** The reused context (see `holds`) set for testing a task against workflow filters. */
  private filterContext(task: TaskState): EvaluationContext {
    const context = this.context;
    context.now = this.clock.now();
    context.task = task.attributes;
    context.worker = undefined;
    return context;
  }

  /**
   * Evaluates an expression on the routing path through one reused context object: expressions
   * never keep their context, and an allocation per test adds up over thousands of tests a second.
   */
  private holds(expression: CompiledExpression, task?: Attributes, worker?: WorkerFacts): boolean {
    const context = this.context;
    context.now = this.clock.now();
    context.task = task;
    context.worker = worker;
    return expression.test(context);
  }

  /** Finds ready, eligible workers for a task, up to the queue's parallel-reservation limit. */
  private routeTask(task: TaskState): void {
    const step = task.step;
    const queue = task.queue;
    if (!step || !queue || (task.status !== "pending" && task.status !== "reserved")) return;
    const want = queue.config.maxReservedWorkers - task.pending.length;
    if (want > 0 && step.target.expression?.constant !== false) {
      const chosen: WorkerState[] = [];
      const knownWorkerSid = task.knownWorkerSid;
      if (knownWorkerSid !== undefined) {
        const worker = knownWorkerSid === null ? undefined : this.workers.get(knownWorkerSid);
        const slot = worker && slotOn(worker, task.channel.sid);
        if (
          worker &&
          slot?.readyKey !== undefined &&
          worker.queues.includes(queue) &&
          this.eligible(task, worker)
        )
          chosen.push(worker);
      } else {
        const ready = readyIndex(queue, task.channel);
        if (ready && ready.size > 0) {
          if (step.target.orderBy.length > 0) {
            const all: WorkerState[] = [];
            for (const { worker } of ready.values()) if (this.eligible(task, worker)) all.push(worker);
            all.sort(
              (a, b) =>
                compareByOrder(a, b, step.target.orderBy) ||
                slotOn(a, task.channel.sid)!.readyKey! - slotOn(b, task.channel.sid)!.readyKey!,
            );
            chosen.push(...all.slice(0, want));
          } else {
            const head = ready.first()!.worker;
            if (this.eligible(task, head)) chosen.push(head);
            if (chosen.length < want)
              ready.find(({ worker }) => {
                if (worker !== head && this.eligible(task, worker)) chosen.push(worker);
                return chosen.length >= want;
              });
          }
        }
      }
      for (const worker of chosen) this.reserve(task, worker);
    }
    // skip_if: considered once, right after entering the step, when no reservation could be made.
    if (step.target.skipIf && this.justEnteredStep.delete(task)) {
      if (
        task.pending.length === 0 &&
        step.target.skipIf.test({ now: this.clock.now(), workers: population(queue) })
      ) {
        this.advanceStep(task, "skip");
      }
    }
  }

  /** Finds the best waiting task for a worker on each channel it is queued for, while it stays ready there. */
  private routeWorker(worker: WorkerState): void {
    const queued = worker.slotsToRoute;
    worker.slotsToRoute = 0;
    if (worker.removed) return;
    const slots = worker.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const bit = slot.channel.index;
      if (queued !== EVERY_SLOT && (bit >= 31 || (queued & (1 << bit)) === 0)) continue;
      while (slot.readyKey !== undefined) {
        const best = this.bestTaskFor(worker, slot.channel);
        if (!best) break;
        this.reserve(best, worker);
      }
      // Still ready with nothing to take: it waits in its queues' lines for the next task.
      if (slot.readyKey !== undefined && slot.entries === NOT_YET_INDEXED) this.indexReady(worker, slot);
    }
  }

  /**
   * The best task this worker is eligible for on a channel, across its queues and the tasks that name
   * it. (No named closures on this path: the TypeScript loader wraps each one in a costly `__name`.)
   */
  private bestTaskFor(worker: WorkerState, channel: ChannelState): TaskState | undefined {
    let best: TaskState | undefined;
    const queues = worker.queues;
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[i]!;
      const waiting = queue.waiting[channel.index];
      if (!waiting) continue;
      let task = waiting.first();
      if (task && !this.eligible(task, worker)) task = waiting.find((t) => this.eligible(t, worker));
      if (task && (!best || this.rank(task, best) < 0)) best = task;
    }
    // Usually no task waits for a named worker: then skip the lookup by the worker's SID.
    if (this.knownWaiting.size === 0) return best;
    for (const task of this.knownWaiting.get(worker.sid) ?? []) {
      if (task.channel.index !== channel.index || !task.queue || !worker.queues.includes(task.queue))
        continue;
      if (this.eligible(task, worker) && (!best || this.rank(task, best) < 0)) best = task;
    }
    return best;
  }

  /**
   * Negative when `a` is offered before `b`: higher priority first, then age in the queue's order
   * (FIFO oldest first, LIFO newest first), or the workspace's prioritize-queue-order between queues.
   */
  private rank(a: TaskState, b: TaskState): number {
    if (a.priority !== b.priority) return b.priority - a.priority;
    const order =
      a.queue && a.queue === b.queue ? a.queue.config.taskOrder : this.settings.prioritizeQueueOrder;
    const age =
      order === "FIFO" ? a.virtualStartTime - b.virtualStartTime : b.virtualStartTime - a.virtualStartTime;
    if (age !== 0) return age;
    return order === "FIFO" ? a.seq - b.seq : b.seq - a.seq;
  }

  private reserve(task: TaskState, worker: WorkerState): void {
    const now = this.clock.now();
    const slot = slotOn(worker, task.channel.sid)!;
    const step = task.step!;
    const reservation: ReservationState = {
      sid: this.ids.next("WR"),
      task,
      worker,
      slot,
      status: "pending",
      dateCreated: now,
      dateUpdated: now,
      timeoutAt: now + step.reservationTimeout * 1000,
      timeoutSeq: ++this.deadlineSeq,
      prevDue: undefined,
      nextDue: undefined,
      queueSid: task.queue?.config.sid,
      workflowSid: task.workflow?.config.sid,
      hash: 0,
    };
    reservation.hash = this.reservations.set(reservation);
    task.pending = appended(task.pending, reservation);
    // Only ever appended to, so grown in place (a loop over it may see the new one, harmlessly).
    if (task.history === NONE) task.history = [reservation];
    else (task.history as ReservationState[]).push(reservation);
    this.moveTask(task, "reserved");
    worker.pending = appended(worker.pending, reservation);
    slot.active++;
    this.reservationTimeouts.add(reservation);
    this.fact(FACT_KIND["reservation.created"], task, worker);
    this.emit({
      type: "reservation.created",
      at: this.clock.now(),
      resourceType: "reservation",
      resourceSid: reservation.sid,
      task: this.taskSnapshot(task),
      worker: workerSnapshot(worker),
      reservation: { sid: reservation.sid, status: "pending" },
    });
    this.refreshWorker(worker, slot, true);
    this.syncTaskIndex(task);
  }

  /**
   * Ends a pending reservation (rejected, timed out, canceled, rescinded) and, unless the task itself
   * is being taken out of routing, routes the task again.
   */
  private endPending(
    reservation: ReservationState,
    status: "rejected" | "timeout" | "canceled" | "rescinded",
    reroute = true,
  ): void {
    const { task, worker } = reservation;
    reservation.status = status;
    reservation.dateUpdated = this.clock.now();
    this.reservationTimeouts.remove(reservation);
    worker.pending = without(worker.pending, reservation);
    reservation.slot.active--;
    task.pending = without(task.pending, reservation);
    this.moveTask(task, task.status === "reserved" && task.pending.length === 0 ? "pending" : task.status);
    this.fact(PENDING_ENDED_FACT[status], task, worker);
    this.emit({
      type: `reservation.${status}`,
      at: this.clock.now(),
      resourceType: "reservation",
      resourceSid: reservation.sid,
      task: this.taskSnapshot(task),
      worker: workerSnapshot(worker),
      reservation: { sid: reservation.sid, status },
    });
    this.refreshWorker(worker, reservation.slot);
    this.queueForRouting(worker, reservation.slot);
    if (!reroute) return;
    if (task.status === "pending" && task.stepExpired) {
      this.advanceStep(task, "timeout");
    } else {
      this.syncTaskIndex(task);
      this.tasksToRoute.push(task);
    }
  }

  /** Ends an accepted or wrapping reservation when its task completes or is deleted. */
  private endAccepted(reservation: ReservationState, status: "completed"): void {
    reservation.status = status;
    reservation.dateUpdated = this.clock.now();
    reservation.slot.active--;
    this.emit({
      type: "reservation.completed",
      at: this.clock.now(),
      resourceType: "reservation",
      resourceSid: reservation.sid,
      task: this.taskSnapshot(reservation.task),
      worker: workerSnapshot(reservation.worker),
      reservation: { sid: reservation.sid, status },
    });
    this.refreshWorker(reservation.worker, reservation.slot);
    this.queueForRouting(reservation.worker, reservation.slot);
  }

  private timeOut(reservation: ReservationState): void {
    this.endPending(reservation, "timeout");
    const timeoutActivity =
      this.settings.timeoutActivitySid && this.activities.get(this.settings.timeoutActivitySid);
    if (
      timeoutActivity &&
      reservation.worker.activity.sid !== timeoutActivity.sid &&
      !reservation.worker.removed
    ) {
      this.setActivity(reservation.worker, timeoutActivity);
      this.refreshWorker(reservation.worker);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Views

  private taskSnapshot(task: TaskState): TaskSnapshot {
    if (this.snapshotOf === task) return this.snapshot!;
    this.snapshotOf = task;
    return (this.snapshot = {
      sid: task.sid,
      attributes: task.attributes,
      priority: task.priority,
      status: task.status,
      dateCreated: task.dateCreated,
      channelSid: task.channel.sid,
      channelUniqueName: task.channel.uniqueName,
      queueSid: task.queue?.config.sid,
      queueName: task.queue?.config.friendlyName,
      workflowSid: task.workflow?.config.sid,
      workflowName: task.workflow?.config.friendlyName,
      reason: task.reason,
    });
  }

  private taskView(task: TaskState): TaskView {
    const position: RoutingPosition | undefined = task.step && {
      filter: task.step.filter,
      filterName: task.step.filterName,
      step: task.step.index,
      stepEnteredAt: task.stepEnteredAt,
    };
    return {
      sid: task.sid,
      attributes: task.attributes,
      priority: task.priority,
      status: task.status,
      channelSid: task.channel.sid,
      channelUniqueName: task.channel.uniqueName,
      workflowSid: task.workflow?.config.sid,
      queueSid: task.queue?.config.sid,
      queueEnteredAt: task.queueEnteredAt,
      dateCreated: task.dateCreated,
      dateUpdated: task.dateUpdated,
      virtualStartTime: task.virtualStartTime,
      timeout: task.timeout,
      reason: task.reason,
      routing: position,
      transferredFrom: task.transferredFrom,
    };
  }

  private verdict(
    task: TaskState,
    worker: WorkerState,
    queue: QueueState,
  ): Omit<CandidateVerdict, "workerSid" | "workerName"> {
    const step = task.step!;
    const offered = task.history.find((r) => r.worker === worker && ACTIVE_RESERVATION.has(r.status));
    if (offered) return { verdict: "offered", detail: `reservation ${offered.sid} is ${offered.status}` };
    if (!worker.queues.includes(queue))
      return {
        verdict: "not_in_queue",
        detail: `TargetWorkers of ${queue.config.friendlyName} is false for this worker`,
      };
    if (task.knownWorkerSid !== undefined && task.knownWorkerSid !== worker.sid) {
      return {
        verdict: "not_known_worker",
        detail: `the step is for worker ${task.knownWorkerSid ?? "(none named)"}`,
      };
    }
    if (task.rejectedBy?.has(worker.sid)) return { verdict: "rejected", detail: "rejected this task before" };
    const expression = step.target.expression;
    if (expression && !expression.test({ now: this.clock.now(), task: task.attributes, worker })) {
      return { verdict: "expression_false", detail: `${expression.source} is false` };
    }
    const unready = this.unready(worker, task.channel);
    if (unready) return unready;
    if (task.status !== "pending" && task.status !== "reserved")
      return { verdict: "task_not_waiting", detail: `the task is ${task.status}` };
    if (task.pending.length >= queue.config.maxReservedWorkers) {
      return {
        verdict: "max_reserved",
        detail: `the task already has ${task.pending.length} pending reservation(s)`,
      };
    }
    if (step.target.expression?.constant === false)
      return { verdict: "expression_false", detail: "the step's expression never matches" };
    return { verdict: "eligible", detail: "ready and eligible" };
  }

  /** Why a worker cannot take a task on this channel now (activity, channel switch, capacity, rules), if it cannot. */
  private unready(
    worker: WorkerState,
    channel: ChannelState,
  ): Omit<CandidateVerdict, "workerSid" | "workerName"> | undefined {
    if (!worker.activity.available)
      return { verdict: "unavailable", detail: `activity ${worker.activity.friendlyName} is not available` };
    const slot = slotOn(worker, channel.sid)!;
    if (!slot.available)
      return { verdict: "channel_unavailable", detail: `switched off on ${channel.uniqueName}` };
    if (slot.active >= slot.capacity)
      return {
        verdict: "no_capacity",
        detail: `${slot.active} of ${slot.capacity} ${channel.uniqueName} tasks`,
      };
    for (const rule of channel.rules) {
      const active = slotOn(worker, rule.whileOn)?.active ?? 0;
      if (active >= rule.atLeast) {
        const name = this.channels.get(rule.whileOn)?.uniqueName ?? rule.whileOn;
        return {
          verdict: "channel_rule",
          detail: `no ${channel.uniqueName} while on ${active} ${name} task(s)`,
        };
      }
    }
    return undefined;
  }
}

export interface RealtimeStatistics {
  tasks_by_status: { pending: number; reserved: number; assigned: number; wrapping: number };
  /** Waiting tasks per priority. */
  tasks_by_priority: Record<string, number>;
  total_tasks: number;
  longest_task_waiting_sid: string | null;
  longest_task_waiting_age: number;
  /** Queue scope: the task that has been in the queue longest. */
  longest_relative_task_sid_in_queue?: string | null;
  longest_relative_task_age_in_queue?: number;
  /** Workspace and queue scopes: workers per activity. */
  activity_statistics?: Array<{ sid: string; friendly_name: string; workers: number }>;
  /** Workspace scope. */
  total_workers?: number;
  /** Queue scope: members, and members in an available activity. */
  total_eligible_workers?: number;
  total_available_workers?: number;
}

export type Verdict =
  | "offered"
  | "eligible"
  | "not_in_queue"
  | "not_known_worker"
  | "rejected"
  | "expression_false"
  | "unavailable"
  | "channel_unavailable"
  | "no_capacity"
  | "channel_rule"
  | "task_not_waiting"
  | "max_reserved";

export interface CandidateVerdict {
  workerSid: string;
  workerName: string;
  verdict: Verdict;
  detail: string;
}

/** One step of a sample task's route (see routeSample). */
export interface SampleStep {
  step: number;
  queueSid: string;
  queueName: string;
  expression: string | undefined;
  priority: number | undefined;
  timeout: number | undefined;
  orderBy: string | undefined;
  /** skip_if holds and nobody could take the task: routing would move straight to the next step. */
  skipped: boolean;
  /** Tasks already waiting in the queue on the channel, which a new task joins behind (by priority, then age). */
  waitingAhead: number;
  /** Who would be offered the task now, in order (up to the queue's MaxReservedWorkers). */
  offerTo: string[];
  candidates: CandidateVerdict[];
}

export interface SampleRoute {
  filters: Array<{ index: number; name: string; expression: string; matches: boolean }>;
  /** The filter the task would take (its index, or the default filter); undefined: none, it would be canceled. */
  filter: number | "default" | undefined;
  steps: SampleStep[];
}

export interface Explanation {
  taskSid: string;
  status: TaskStatus;
  workflowSid: string | undefined;
  /** Every filter of the workflow and whether it matches the task's attributes now. */
  filters: Array<{ index: number; name: string; expression: string; matches: boolean }>;
  position:
    | {
        filter: number | "default" | "direct";
        filterName: string;
        step: number;
        stepEnteredAt: number;
        queueSid: string;
        expression: string | undefined;
        priority: number | undefined;
        timeout: number | undefined;
        knownWorkerSid: string | null | undefined;
        orderBy: string | undefined;
      }
    | undefined;
  reservations: ReservationView[];
  /** Every member of the step's queue (and the named worker of a known-worker step). */
  candidates: CandidateVerdict[];
}

// -------------------------------------------------------------------------------------------
// Helpers

function compileOrThrow(source: string, scope: "worker", what: string): CompiledExpression {
  try {
    return compileExpression(source, scope);
  } catch (error) {
    if (error instanceof ExpressionError) throw new RoutingError("invalid", `${what}: ${error.message}`);
    throw error;
  }
}

function validateRules(rules: ChannelRule[]): void {
  for (const [i, rule] of rules.entries()) {
    if (!rule.channel || !rule.whileOn || !Number.isInteger(rule.atLeast) || rule.atLeast < 1) {
      throw new RoutingError(
        "invalid",
        `channelRules[${i}]: needs channel, whileOn and a whole atLeast of 1 or more`,
      );
    }
  }
}

/** The queue's ready line for a channel, built from its members the first time the channel is needed. */
function readyIndex(queue: QueueState, channel: ChannelState): WaitingLine<ReadyEntry> {
  let line = queue.ready[channel.index];
  if (!line) {
    line = new WaitingLine<ReadyEntry>(keyBefore, false);
    queue.ready[channel.index] = line;
    // Longest idle first, so each joins at the back of the line.
    const ready = [...queue.members]
      .map((worker) => ({ worker, slot: slotOn(worker, channel.sid)! }))
      .filter(({ slot }) => slot.readyKey !== undefined && slot.entries !== NOT_YET_INDEXED)
      .sort((a, b) => a.slot.readyKey! - b.slot.readyKey!);
    for (const { worker, slot } of ready)
      slot.entries = [...slot.entries, standInLine(line, worker, queue, slot.readyKey!)];
  }
  return line;
}

/** Puts a ready worker into one queue's line for one channel under its ready key. */
function standInLine(
  line: WaitingLine<ReadyEntry>,
  worker: WorkerState,
  queue: QueueState,
  key: number,
): ReadyEntry {
  const entry: ReadyEntry = {
    worker,
    queue,
    key,
    line,
    band: undefined,
    prevInLine: undefined,
    nextInLine: undefined,
  };
  line.add(entry, 0);
  return entry;
}

/** Takes a worker out of a queue's ready lines (it is leaving the queue). */
function leaveReadyLines(worker: WorkerState, queue: QueueState): void {
  for (const slot of worker.slots) {
    const entry = slot.entries.find((e) => e.queue === queue);
    if (!entry) continue;
    entry.line.remove(entry);
    slot.entries = slot.entries.filter((e) => e !== entry);
  }
}

const keyBefore = (a: ReadyEntry, b: ReadyEntry) => a.key < b.key;
const NO_ENTRIES: readonly ReadyEntry[] = Object.freeze([]);
/** A ready slot's entries until it is routed: no lines yet (see `refreshSlot`). */
const NOT_YET_INDEXED: readonly ReadyEntry[] = Object.freeze([]);

function waitingLine(queue: QueueState, channel: ChannelState): WaitingLine<TaskState> {
  return (queue.waiting[channel.index] ??= new WaitingLine(startedBefore, queue.config.taskOrder === "LIFO"));
}

function enterWaiting(queue: QueueState, task: TaskState): void {
  queue.waitingTasks.add(task);
  if (queue.oldestKnown && (!queue.oldest || createdBefore(task, queue.oldest))) queue.oldest = task;
}

function leaveWaiting(queue: QueueState, task: TaskState): void {
  queue.waitingTasks.delete(task);
  if (queue.oldest === task) {
    queue.oldest = undefined;
    queue.oldestKnown = false;
  }
}

function oldestWaiting(queue: QueueState): TaskState | undefined {
  if (!queue.oldestKnown) {
    for (const task of queue.waitingTasks)
      if (!queue.oldest || createdBefore(task, queue.oldest)) queue.oldest = task;
    queue.oldestKnown = true;
  }
  return queue.oldest;
}

/**
 * The items once each, in the order of their first appearance: a short list (a new task is queued by
 * entering its step and by joining its line) is compacted in place, allocating nothing.
 */
function withoutRepeats<T>(items: T[]): T[] {
  if (items.length > 16) return [...new Set(items)];
  let kept = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let seen = false;
    for (let j = 0; j < kept && !seen; j++) seen = items[j] === item;
    if (!seen) items[kept++] = item;
  }
  items.length = kept;
  return items;
}

function* oldestOfEachQueue(queues: Iterable<QueueState>): Iterable<TaskState> {
  for (const queue of queues) {
    const oldest = oldestWaiting(queue);
    if (oldest) yield oldest;
  }
}

function createdBefore(a: TaskState, b: TaskState): boolean {
  return a.dateCreated < b.dateCreated || (a.dateCreated === b.dateCreated && a.seq < b.seq);
}

function first<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item;
  return undefined;
}

function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}

/** Age order in a waiting line: the earlier virtual start time, then the task created first. */
function startedBefore(a: TaskState, b: TaskState): boolean {
  const at = a.virtualStartTime;
  const bt = b.virtualStartTime;
  return at < bt || (at === bt && a.seq < b.seq);
}

/**
 * Takes an item out of a set that is mostly empty (the timed tasks, the tasks just placed in a skip_if
 * step): skipping the lookup then saves hashing the item, several times a decision.
 */
function removeFrom<T>(set: Set<T>, item: T): void {
  if (set.size > 0) set.delete(item);
}

/** The worker's slot for a channel, by the channel's SID. */
function slotOn(worker: WorkerState, channelSid: string): Slot | undefined {
  const { slots } = worker;
  for (let i = 0; i < slots.length; i++) if (slots[i]!.channel.sid === channelSid) return slots[i];
  return undefined;
}

/** Keeps the worker's `WorkerFacts` fields in step with its activity. */
/** After a change of the worker's name, attributes or activity: what expressions and events read of it. */
function syncFacts(worker: WorkerState): void {
  worker.activitySid = worker.activity.sid;
  worker.activityName = worker.activity.friendlyName;
  worker.snapshot = undefined;
}

function workerSnapshot(worker: WorkerState): WorkerSnapshot {
  return (worker.snapshot ??= {
    sid: worker.sid,
    friendlyName: worker.friendlyName,
    attributes: worker.attributes,
    activitySid: worker.activity.sid,
    activityName: worker.activity.friendlyName,
    available: worker.activity.available,
  });
}

function workerView(worker: WorkerState): WorkerView {
  return {
    ...workerSnapshot(worker),
    dateCreated: worker.dateCreated,
    dateUpdated: worker.dateUpdated,
    dateStatusChanged: worker.dateStatusChanged,
    channels: [...worker.slots].map((s) => ({
      channelSid: s.channel.sid,
      capacity: s.capacity,
      available: s.available,
      active: s.active,
    })),
  };
}

function reservationView(r: ReservationState): ReservationView {
  return {
    sid: r.sid,
    taskSid: r.task.sid,
    workerSid: r.worker.sid,
    workerName: r.worker.friendlyName,
    channelSid: r.slot.channel.sid,
    queueSid: r.queueSid,
    workflowSid: r.workflowSid,
    status: r.status,
    dateCreated: r.dateCreated,
    dateUpdated: r.dateUpdated,
    timeoutAt: r.timeoutAt,
  };
}

function queueRef(config: TaskQueueConfig): QueueRef {
  return { sid: config.sid, name: config.friendlyName, targetWorkers: config.targetWorkers };
}

function channelRef(channel: TaskChannel) {
  return { sid: channel.sid, uniqueName: channel.uniqueName, friendlyName: channel.friendlyName };
}

function population(queue: QueueState): QueuePopulation {
  return {
    available: queue.availableMembers,
    unavailable: queue.members.size - queue.availableMembers,
    byActivity: Object.fromEntries(queue.activityCounts),
  };
}

/** order_by: integer worker attributes; workers lacking one sort after those that have it. */
function compareByOrder(a: WorkerState, b: WorkerState, clauses: Target["orderBy"]): number {
  for (const clause of clauses) {
    const x = numberAt(a.attributes, clause.path);
    const y = numberAt(b.attributes, clause.path);
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return clause.direction === "ASC" ? x - y : y - x;
  }
  return 0;
}

function numberAt(attributes: Attributes, path: string[]): number | undefined {
  let value: unknown = attributes;
  for (const segment of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, segment))
      return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return typeof value === "number" ? value : undefined;
}

function workflowUsesQueue(workflow: CompiledWorkflow, queueSid: string): boolean {
  return (
    workflow.defaultQueueSid === queueSid ||
    workflow.filters.some((f) => f.targets.some((t) => t.queueSid === queueSid))
  );
}
