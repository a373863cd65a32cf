/**
 * The reporting projection: folds the event log (routing and conversation events, as their stored
 * parameters) into facts a report sums.
 *
 * - A **task segment** is one stay of a task in a queue, from `task-queue.entered` until the task
 *   leaves that queue: accepted and then completed (`handled`, or `transferred` when a transfer of it
 *   was accepted), canceled while waiting or ringing (`abandoned`), or moved on or canceled by a
 *   workflow step or TTL timeout (`timed_out`). A task moved by a step timeout to another queue
 *   starts a new segment there; a transfer is a new task and so a new segment, with `transferredFrom`.
 * - **Worker time**: each worker's state (activity, whether it is available or Offline, how many
 *   accepted tasks it holds) is carried from event to event, and the time between two changes is
 *   added to 15-minute slices as available, busy and staffed time.
 * - A **conversation** fact per conversation: its channel, when it was created and closed, and who
 *   wrote when (the first message's author and everyone else).
 *
 * The fold is deterministic and needs only the facts it touches: the caller loads the latest
 * segment of each task, each worker's state and each conversation named by a batch of events,
 * applies the events and stores what `drain` returns. Re-running the whole log from an empty store
 * gives the same facts (the rebuild).
 */

export interface InsightEvent {
  /** Position in the event log; facts remember the last one that changed them. */
  seq: number;
  type: string;
  /** Event time, ms. */
  at: number;
  accountSid: string;
  /** The event's parameters, as the log stores them. */
  data: Readonly<Record<string, string>>;
}

export type SegmentOutcome = "handled" | "abandoned" | "transferred" | "timed_out";

export interface SegmentFact {
  taskSid: string;
  /** 1 for the task's first queue, 2 after a step timeout moved it on, … */
  segment: number;
  accountSid: string;
  workspaceSid: string;
  workflowSid: string | null;
  queueSid: string | null;
  queueName: string | null;
  /** The task channel's unique name (voice, chat, sms, …). */
  channel: string;
  /** The task attribute `direction`, else "inbound". */
  direction: string;
  /** The task attribute `conversationSid`, when the task is a conversation's. */
  conversationSid: string | null;
  transferredFrom: string | null;
  taskCreatedAt: number;
  enteredAt: number;
  firstReservedAt: number | null;
  acceptedAt: number | null;
  wrapupAt: number | null;
  endedAt: number | null;
  workerSid: string | null;
  workerName: string | null;
  /** The accepting worker's `team_name` (Flex's attribute) or `team` attribute. */
  team: string | null;
  /** Null while the segment is open. */
  outcome: SegmentOutcome | null;
  /** Entered → accepted, or entered → ended when never accepted. */
  queueMs: number | null;
  /** The accepted reservation's ringing time. */
  ringMs: number | null;
  /** Accepted → wrap-up (or the end); known when the segment ends. */
  talkMs: number | null;
  wrapMs: number | null;
  reservations: number;
  rejected: number;
  missed: number;
  /** A transfer of this task was accepted: it ends as `transferred`. */
  transferred: boolean;
  /** The account's custom numeric measures, in the order of its settings (up to 5). */
  measures: (number | null)[];
  /** The account's custom text attributes, in the order of its settings (up to 7). */
  attributes: (string | null)[];
  /** Reservations still ringing: SID → when it was created. */
  ringing: Record<string, number>;
  lastSeq: number;
}

export interface WorkerTimeState {
  accountSid: string;
  workspaceSid: string;
  workerSid: string;
  workerName: string;
  team: string | null;
  activityName: string;
  available: boolean;
  /** Accepted or wrapping tasks held. */
  tasks: number;
  /** When this state began: time before it has been counted into slices. */
  since: number;
  lastSeq: number;
}

/** A worker's time within one 15-minute slice (added to whatever the slice already holds). */
export interface WorkerSlice {
  accountSid: string;
  workspaceSid: string;
  workerSid: string;
  workerName: string;
  team: string | null;
  /** Start of the 15-minute slice, ms since the epoch (UTC; every time zone's offset is a multiple of 15 minutes). */
  sliceStart: number;
  availableMs: number;
  busyMs: number;
  staffedMs: number;
}

export interface ConversationFact {
  conversationSid: string;
  accountSid: string;
  /** chat (a participant by identity), sms, whatsapp, messenger or email: the first participant's kind. */
  channel: string | null;
  createdAt: number;
  closedAt: number | null;
  firstAuthor: string | null;
  firstMessageAt: number | null;
  /** The first message by anyone but the first author. */
  firstReplyAt: number | null;
  messagesFromFirstAuthor: number;
  messagesFromOthers: number;
  lastSeq: number;
}

/** Task attributes an account reports on: `path` is a dotted path into the task's attributes. */
export interface InsightSettings {
  measures: readonly { name: string; path: string }[];
  attributes: readonly { name: string; path: string }[];
}

export const MAX_CUSTOM_MEASURES = 5;
export const MAX_CUSTOM_ATTRIBUTES = 7;
export const SLICE_MS = 15 * 60_000;

/** The facts a batch of events may touch, as stored before it. */
export interface StoredFacts {
  latestSegment(taskSid: string): SegmentFact | undefined;
  worker(workerSid: string): WorkerTimeState | undefined;
  conversation(conversationSid: string): ConversationFact | undefined;
}

export interface ProjectedFacts {
  segments: SegmentFact[];
  workers: WorkerTimeState[];
  removedWorkers: string[];
  slices: WorkerSlice[];
  conversations: ConversationFact[];
}

/** Cancel reasons that are the routing's doing rather than the contact's. */
const TIMEOUT_REASONS = new Set(["Workflow Timeout", "Task TTL Exceeded"]);

export class InsightsProjection {
  private readonly segments = new Map<string, SegmentFact>();
  private readonly workers = new Map<string, WorkerTimeState | null>();
  private readonly conversations = new Map<string, ConversationFact>();
  private readonly changedSegments = new Set<SegmentFact>();
  private readonly changedWorkers = new Set<string>();
  private readonly changedConversations = new Set<ConversationFact>();
  private slices = new Map<string, WorkerSlice>();

  constructor(
    private readonly stored: StoredFacts,
    private readonly settingsOf: (accountSid: string) => InsightSettings,
  ) {}

  apply(event: InsightEvent): void {
    if (event.type.startsWith("conversation.")) this.applyConversation(event);
    else if (event.data.WorkspaceSid) {
      this.applyWorker(event);
      this.applyTask(event);
    }
  }

  /** What changed since the last drain, to be stored. */
  drain(): ProjectedFacts {
    const removed = [...this.changedWorkers].filter((sid) => this.workers.get(sid) === null);
    const facts: ProjectedFacts = {
      segments: [...this.changedSegments],
      workers: [...this.changedWorkers].map((sid) => this.workers.get(sid)).filter((w) => !!w),
      removedWorkers: removed,
      slices: [...this.slices.values()],
      conversations: [...this.changedConversations],
    };
    this.changedSegments.clear();
    this.changedWorkers.clear();
    this.changedConversations.clear();
    this.slices = new Map();
    return facts;
  }

  // ------------------------------------------------------------------------------------------
  // Task segments

  private applyTask(event: InsightEvent): void {
    const { data } = event;
    const taskSid = data.TaskSid;
    if (!taskSid) return;
    if (event.type === "task-queue.entered") {
      const previous = this.latestSegment(taskSid);
      if (previous && previous.outcome === null) this.close(previous, event, "timed_out");
      this.open(event, previous ? previous.segment + 1 : 1);
      return;
    }
    // task.transfer-* events name the original task as their resource.
    const segment = this.latestSegment(taskSid);
    if (!segment) return;
    const reservation = data.ReservationSid;
    switch (event.type) {
      case "reservation.created":
        if (segment.outcome !== null || !reservation) return;
        segment.reservations++;
        segment.firstReservedAt ??= event.at;
        segment.ringing = { ...segment.ringing, [reservation]: event.at };
        break;
      case "reservation.accepted": {
        if (segment.outcome !== null || !reservation) return;
        const rangSince = segment.ringing[reservation] ?? event.at;
        segment.acceptedAt = event.at;
        segment.queueMs = event.at - segment.enteredAt;
        segment.ringMs = event.at - rangSince;
        segment.workerSid = data.WorkerSid ?? null;
        segment.workerName = data.WorkerName ?? null;
        segment.team = teamOf(data.WorkerAttributes);
        segment.ringing = withoutKey(segment.ringing, reservation);
        break;
      }
      case "reservation.rejected":
      case "reservation.timeout":
      case "reservation.canceled":
      case "reservation.rescinded":
        if (segment.outcome !== null || !reservation || !(reservation in segment.ringing)) return;
        if (event.type === "reservation.rejected") segment.rejected++;
        if (event.type === "reservation.timeout") segment.missed++;
        segment.ringing = withoutKey(segment.ringing, reservation);
        break;
      case "task.wrapup":
        if (segment.outcome !== null) return;
        segment.wrapupAt ??= event.at;
        break;
      case "task.transfer-completed":
        if (segment.outcome !== null || event.data.ResourceSid !== taskSid) return;
        segment.transferred = true;
        break;
      case "task.updated":
        // Wrap-up data (a disposition, a survey score) often arrives after the end: still taken.
        this.capture(segment, data);
        break;
      case "task.completed":
        if (segment.outcome !== null) return;
        this.capture(segment, data);
        this.close(segment, event, segment.transferred ? "transferred" : "handled");
        return;
      case "task.canceled":
      case "task.deleted":
        if (segment.outcome !== null) return;
        if (segment.acceptedAt !== null) this.close(segment, event, "handled");
        else
          this.close(
            segment,
            event,
            TIMEOUT_REASONS.has(data.TaskCanceledReason ?? "") ? "timed_out" : "abandoned",
          );
        return;
      default:
        return;
    }
    this.touch(segment, event);
  }

  private open(event: InsightEvent, ordinal: number): void {
    const { data } = event;
    const attributes = parseObject(data.TaskAttributes);
    const segment: SegmentFact = {
      taskSid: data.TaskSid!,
      segment: ordinal,
      accountSid: event.accountSid,
      workspaceSid: data.WorkspaceSid!,
      workflowSid: data.WorkflowSid ?? null,
      queueSid: data.TaskQueueSid ?? null,
      queueName: data.TaskQueueName ?? null,
      channel: data.TaskChannelUniqueName ?? "default",
      direction: textAt(attributes, "direction") ?? "inbound",
      conversationSid: textAt(attributes, "conversationSid"),
      transferredFrom: textAt(attributes, "transferredFrom"),
      taskCreatedAt: event.at - Number(data.TaskAge ?? 0) * 1000,
      enteredAt: event.at,
      firstReservedAt: null,
      acceptedAt: null,
      wrapupAt: null,
      endedAt: null,
      workerSid: null,
      workerName: null,
      team: null,
      outcome: null,
      queueMs: null,
      ringMs: null,
      talkMs: null,
      wrapMs: null,
      reservations: 0,
      rejected: 0,
      missed: 0,
      transferred: false,
      measures: [],
      attributes: [],
      ringing: {},
      lastSeq: event.seq,
    };
    this.capture(segment, data);
    this.segments.set(segment.taskSid, segment);
    this.touch(segment, event);
  }

  private close(segment: SegmentFact, event: InsightEvent, outcome: SegmentOutcome): void {
    segment.outcome = outcome;
    segment.endedAt = event.at;
    segment.ringing = {};
    if (segment.acceptedAt === null) {
      segment.queueMs = event.at - segment.enteredAt;
    } else {
      const talkEnd = segment.wrapupAt ?? event.at;
      segment.talkMs = talkEnd - segment.acceptedAt;
      segment.wrapMs = event.at - talkEnd;
    }
    this.touch(segment, event);
  }

  /** Takes the account's custom measures and attributes from the event's task attributes. */
  private capture(segment: SegmentFact, data: Readonly<Record<string, string>>): void {
    if (data.TaskAttributes === undefined) return;
    const attributes = parseObject(data.TaskAttributes);
    const settings = this.settingsOf(segment.accountSid);
    segment.measures = settings.measures
      .slice(0, MAX_CUSTOM_MEASURES)
      .map(({ path }) => numberAt(attributes, path));
    segment.attributes = settings.attributes
      .slice(0, MAX_CUSTOM_ATTRIBUTES)
      .map(({ path }) => textAt(attributes, path));
  }

  private latestSegment(taskSid: string): SegmentFact | undefined {
    let segment = this.segments.get(taskSid);
    if (!segment) {
      const stored = this.stored.latestSegment(taskSid);
      if (!stored) return undefined;
      segment = { ...stored };
      this.segments.set(taskSid, segment);
    }
    return segment;
  }

  private touch(segment: SegmentFact, event: InsightEvent): void {
    segment.lastSeq = event.seq;
    this.changedSegments.add(segment);
  }

  // ------------------------------------------------------------------------------------------
  // Worker time

  private applyWorker(event: InsightEvent): void {
    const { data } = event;
    const workerSid = data.WorkerSid;
    if (!workerSid) return;
    let state = this.workerState(workerSid);
    if (state === undefined) {
      if (event.type === "worker.deleted") return;
      state = {
        accountSid: event.accountSid,
        workspaceSid: data.WorkspaceSid!,
        workerSid,
        workerName: data.WorkerName ?? workerSid,
        team: teamOf(data.WorkerAttributes),
        activityName: data.WorkerActivityName ?? "",
        available: availableOf(data),
        tasks: 0,
        since: event.at,
        lastSeq: event.seq,
      };
      this.workers.set(workerSid, state);
    }
    // The time up to now belongs to the state as it was.
    for (const slice of sliceWorkerTime(state, state.since, event.at)) this.addSlice(slice);
    state.since = Math.max(state.since, event.at);
    state.lastSeq = event.seq;
    if (data.WorkerName !== undefined) state.workerName = data.WorkerName;
    if (data.WorkerAttributes !== undefined) state.team = teamOf(data.WorkerAttributes);
    if (data.WorkerActivityName !== undefined) {
      state.activityName = data.WorkerActivityName;
      state.available = availableOf(data);
    }
    if (event.type === "reservation.accepted") state.tasks++;
    if (event.type === "reservation.completed") state.tasks = Math.max(0, state.tasks - 1);
    if (event.type === "worker.deleted") this.workers.set(workerSid, null);
    this.changedWorkers.add(workerSid);
  }

  private workerState(workerSid: string): WorkerTimeState | undefined {
    const known = this.workers.get(workerSid);
    if (known !== undefined) return known ?? undefined;
    const stored = this.stored.worker(workerSid);
    if (!stored) return undefined;
    const copy = { ...stored };
    this.workers.set(workerSid, copy);
    return copy;
  }

  private addSlice(slice: WorkerSlice): void {
    const key = `${slice.workerSid} ${slice.sliceStart}`;
    const existing = this.slices.get(key);
    if (!existing) {
      this.slices.set(key, slice);
      return;
    }
    existing.availableMs += slice.availableMs;
    existing.busyMs += slice.busyMs;
    existing.staffedMs += slice.staffedMs;
    existing.workerName = slice.workerName;
    existing.team = slice.team;
  }

  // ------------------------------------------------------------------------------------------
  // Conversations

  private applyConversation(event: InsightEvent): void {
    const sid = event.data.ConversationSid;
    if (!sid) return;
    let fact = this.conversations.get(sid) ?? copyOf(this.stored.conversation(sid));
    if (!fact) {
      if (event.type !== "conversation.added") return;
      fact = {
        conversationSid: sid,
        accountSid: event.accountSid,
        channel: null,
        createdAt: event.at,
        closedAt: null,
        firstAuthor: null,
        firstMessageAt: null,
        firstReplyAt: null,
        messagesFromFirstAuthor: 0,
        messagesFromOthers: 0,
        lastSeq: event.seq,
      };
    }
    this.conversations.set(sid, fact);
    const { data } = event;
    switch (event.type) {
      case "conversation.participant.added":
        fact.channel ??= data["MessagingBinding.Address"]
          ? bindingKind(data["MessagingBinding.Address"])
          : "chat";
        break;
      case "conversation.message.added":
        if (fact.firstAuthor === null) {
          fact.firstAuthor = data.Author ?? "";
          fact.firstMessageAt = event.at;
        }
        if ((data.Author ?? "") === fact.firstAuthor) {
          fact.messagesFromFirstAuthor++;
        } else {
          fact.messagesFromOthers++;
          fact.firstReplyAt ??= event.at;
        }
        break;
      case "conversation.state-updated":
        if (data.StateTo === "closed") fact.closedAt ??= event.at;
        else if (data.StateTo === "active") fact.closedAt = null;
        break;
      case "conversation.removed":
        fact.closedAt ??= event.at;
        break;
      case "conversation.added":
        break;
      default:
        return;
    }
    fact.lastSeq = event.seq;
    this.changedConversations.add(fact);
  }
}

/**
 * The worker's time from `from` to `until` in its current state, split at 15-minute boundaries.
 * Also used by reports to count the stretch a worker is in now, which no event has closed yet.
 */
export function sliceWorkerTime(state: WorkerTimeState, from: number, until: number): WorkerSlice[] {
  const slices: WorkerSlice[] = [];
  const busy = state.tasks > 0;
  const available = !busy && state.available;
  const staffed = busy || state.activityName.toLowerCase() !== "offline";
  if (!busy && !available && !staffed) return slices;
  for (let start = from; start < until;) {
    const sliceStart = Math.floor(start / SLICE_MS) * SLICE_MS;
    const end = Math.min(until, sliceStart + SLICE_MS);
    const ms = end - start;
    slices.push({
      accountSid: state.accountSid,
      workspaceSid: state.workspaceSid,
      workerSid: state.workerSid,
      workerName: state.workerName,
      team: state.team,
      sliceStart,
      availableMs: available ? ms : 0,
      busyMs: busy ? ms : 0,
      staffedMs: staffed ? ms : 0,
    });
    start = end;
  }
  return slices;
}

function availableOf(data: Readonly<Record<string, string>>): boolean {
  if (data.WorkerActivityAvailable !== undefined) return data.WorkerActivityAvailable === "true";
  // Events logged before the parameter existed: TaskRouter's usual name for the available activity.
  return /^(available|idle)$/i.test(data.WorkerActivityName ?? "");
}

function teamOf(workerAttributes: string | undefined): string | null {
  const attributes = parseObject(workerAttributes);
  return textAt(attributes, "team_name") ?? textAt(attributes, "team");
}

function bindingKind(address: string): string {
  if (address.startsWith("whatsapp:")) return "whatsapp";
  if (address.startsWith("messenger:")) return "messenger";
  if (address.includes("@")) return "email";
  return "sms";
}

function parseObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function valueAt(attributes: Record<string, unknown>, path: string): unknown {
  let value: unknown = attributes;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function textAt(attributes: Record<string, unknown>, path: string): string | null {
  const value = valueAt(attributes, path);
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function numberAt(attributes: Record<string, unknown>, path: string): number | null {
  const value = valueAt(attributes, path);
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.trim() !== ""
        ? Number(value)
        : NaN;
  return Number.isFinite(number) ? number : null;
}

function withoutKey(record: Record<string, number>, key: string): Record<string, number> {
  const { [key]: _removed, ...rest } = record;
  return rest;
}

function copyOf<T extends object>(value: T | undefined): T | undefined {
  return value && { ...value };
}
