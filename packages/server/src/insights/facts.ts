import {
  SLICE_MS,
  type ConversationFact,
  type ProjectedFacts,
  type SegmentFact,
  type SegmentOutcome,
  type StoredFacts,
  type WorkerTimeState,
} from "@switchboard/engine";
import { sql, type Insertable, type SqlBool } from "kysely";
import type { SortKey } from "../platform/http/paging.ts";
import type { Database } from "../platform/db/database.ts";
import { columnsOf, insertRows, onConflictUpdate } from "../platform/db/insert-rows.ts";
import { Rollups, type RowChanges, type SegmentKey } from "./rollups.ts";
import { storedSettings, type Settings } from "./settings.ts";
import type {
  InsightConversationsTable,
  InsightSegmentsTable,
  InsightWorkerStatesTable,
  Schema,
} from "../platform/db/schema.ts";

/**
 * The projection's facts in SQL: loading what a batch of events may touch, and writing back what
 * the projection changed, inside the transaction that moves its cursor.
 */
export class FactStore {
  private readonly rollups: Rollups;

  constructor(private readonly database: Database) {
    this.rollups = new Rollups(database.dialect);
  }

  /** The stored facts the events of a batch name: each task's latest segment, workers, conversations. */
  async load(
    db: Database["db"],
    taskSids: string[],
    workerSids: string[],
    conversationSids: string[],
  ): Promise<StoredFacts> {
    const segments = new Map<string, SegmentFact>();
    const workers = new Map<string, WorkerTimeState>();
    const conversations = new Map<string, ConversationFact>();
    for (const sids of chunks(taskSids)) {
      const rows = await db
        .selectFrom("insight_segments")
        .selectAll()
        .where("task_sid", "in", sids)
        .execute();
      for (const row of rows) {
        const known = segments.get(row.task_sid);
        if (!known || known.segment < row.segment) segments.set(row.task_sid, segmentOf(row));
      }
    }
    for (const sids of chunks(workerSids)) {
      const rows = await db
        .selectFrom("insight_worker_states")
        .selectAll()
        .where("worker_sid", "in", sids)
        .execute();
      for (const row of rows) workers.set(row.worker_sid, workerStateOf(row));
    }
    for (const sids of chunks(conversationSids)) {
      const rows = await db
        .selectFrom("insight_conversations")
        .selectAll()
        .where("conversation_sid", "in", sids)
        .execute();
      for (const row of rows) conversations.set(row.conversation_sid, conversationOf(row));
    }
    return {
      latestSegment: (sid) => segments.get(sid),
      worker: (sid) => workers.get(sid),
      conversation: (sid) => conversations.get(sid),
    };
  }

  /** Writes what the projection changed, and recomputes the rollups of the slices it touched. */
  async write(db: Database["db"], facts: ProjectedFacts): Promise<void> {
    await this.writeSegments(db, facts.segments);
    await this.upsert(db, "insight_worker_states", facts.workers.map(workerStateRow), WORKER_STATE_UPSERT);
    for (const sids of chunks(facts.removedWorkers)) {
      await db.deleteFrom("insight_worker_states").where("worker_sid", "in", sids).execute();
    }
    await this.upsert(
      db,
      "insight_conversations",
      facts.conversations.map(conversationRow),
      CONVERSATION_UPSERT,
    );
    const slices = facts.slices.map((s) => ({
      worker_sid: s.workerSid,
      slice: s.sliceStart / SLICE_MS,
      account_sid: s.accountSid,
      workspace_sid: s.workspaceSid,
      worker_name: s.workerName,
      team: s.team,
      available_ms: s.availableMs,
      busy_ms: s.busyMs,
      staffed_ms: s.staffedMs,
    }));
    await this.upsert(db, "insight_worker_slices", slices, SLICE_UPSERT);
  }

  /**
   * Writes segments and applies the difference they make to the rollups: per account, in a fixed
   * order, under the account's rollup lock (see `Rollups`), what the stored versions counted is
   * taken out and what the new ones count is put in.
   */
  private async writeSegments(db: Database["db"], segments: SegmentFact[]): Promise<void> {
    const groups = new Map<string, WorkspaceSegments>();
    for (const s of segments) {
      const id = `${s.accountSid}/${s.workspaceSid}`;
      let group = groups.get(id);
      if (!group) {
        group = {
          accountSid: s.accountSid,
          workspaceSid: s.workspaceSid,
          keys: [],
          changes: this.rollups.changes(),
        };
        groups.set(id, group);
      }
      group.keys.push({ taskSid: s.taskSid, segment: s.segment });
    }
    const ordered = [...groups.values()].sort((a, b) => a.accountSid.localeCompare(b.accountSid));
    const settings = new Map<string, Settings>();
    for (const group of ordered) {
      if (!settings.has(group.accountSid)) {
        await this.rollups.lock(db, group.accountSid);
        settings.set(group.accountSid, await storedSettings(db, group.accountSid));
      }
      await this.measure(db, group, settings, -1);
    }
    await this.upsert(db, "insight_segments", segments.map(segmentRow), SEGMENT_UPSERT);
    for (const group of ordered) {
      await this.measure(db, group, settings, 1);
      await this.rollups.apply(db, group.accountSid, group.workspaceSid, group.changes);
    }
  }

  private measure(
    db: Database["db"],
    group: WorkspaceSegments,
    settings: Map<string, Settings>,
    sign: 1 | -1,
  ): Promise<void> {
    const { accountSid, workspaceSid, keys, changes } = group;
    return this.rollups.measure(db, accountSid, workspaceSid, keys, settings.get(accountSid)!, sign, changes);
  }

  /** Every fact, of every account: the start of a rebuild from the log. */
  async clear(db: Database["db"]): Promise<void> {
    for (const table of [
      "insight_segments",
      "insight_rollups",
      "insight_agent_rollups",
      "insight_worker_slices",
      "insight_worker_states",
      "insight_conversations",
    ] as const) {
      await db.deleteFrom(table).execute();
    }
  }

  /**
   * The account's segments changed after `after` (the change position, then task and segment of
   * the last row read), in change order: what a warehouse loads next.
   */
  async changedSegments(accountSid: string, after: SortKey, limit: number): Promise<SegmentFact[]> {
    const [seq, taskSid, segment] = after;
    const rows = await this.database.db
      .selectFrom("insight_segments")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where(
        sql<SqlBool>`(last_seq, task_sid, segment) > (${Number(seq)}, ${String(taskSid)}, ${Number(segment)})`,
      )
      .orderBy("last_seq")
      .orderBy("task_sid")
      .orderBy("segment")
      .limit(limit)
      .execute();
    return rows.map(segmentOf);
  }

  /** The same for conversations: after (change position, conversation). */
  async changedConversations(accountSid: string, after: SortKey, limit: number): Promise<ConversationFact[]> {
    const [seq, sid] = after;
    const rows = await this.database.db
      .selectFrom("insight_conversations")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where(sql<SqlBool>`(last_seq, conversation_sid) > (${Number(seq)}, ${String(sid)})`)
      .orderBy("last_seq")
      .orderBy("conversation_sid")
      .limit(limit)
      .execute();
    return rows.map(conversationOf);
  }

  /** Workers' states in a workspace: reports add the stretch each is in now. */
  async workerStates(accountSid: string, workspaceSid: string): Promise<WorkerTimeState[]> {
    const rows = await this.database.db
      .selectFrom("insight_worker_states")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("workspace_sid", "=", workspaceSid)
      .execute();
    return rows.map(workerStateOf);
  }

  /** Writes rows of one fact table (an upsert by its key: each row replaces or adds to the stored one). */
  private async upsert<T extends keyof Schema>(
    db: Database["db"],
    table: T,
    rows: Array<Insertable<Schema[T]>>,
    onConflict: string,
  ): Promise<void> {
    if (rows.length > 0)
      await insertRows(db, this.database.dialect, table, columnsOf(rows), rows, { onConflict });
  }
}

const SEGMENT_UPSERT = onConflictUpdate(["task_sid", "segment"], [
  "workflow_sid",
  "queue_sid",
  "queue_name",
  "channel",
  "direction",
  "conversation_sid",
  "transferred_from",
  "first_reserved_at",
  "accepted_at",
  "wrapup_at",
  "ended_at",
  "worker_sid",
  "worker_name",
  "team",
  "outcome",
  "queue_ms",
  "ring_ms",
  "talk_ms",
  "wrap_ms",
  "reservations",
  "rejected",
  "missed",
  "transferred",
  "ringing",
  "last_seq",
  "measure_1",
  "measure_2",
  "measure_3",
  "measure_4",
  "measure_5",
  "attribute_1",
  "attribute_2",
  "attribute_3",
  "attribute_4",
  "attribute_5",
  "attribute_6",
  "attribute_7",
] satisfies (keyof InsightSegmentsTable)[]);

const WORKER_STATE_UPSERT = onConflictUpdate(["worker_sid"], [
  "worker_name",
  "team",
  "activity_name",
  "available",
  "tasks",
  "since",
  "last_seq",
] satisfies (keyof InsightWorkerStatesTable)[]);

const CONVERSATION_UPSERT = onConflictUpdate(["conversation_sid"], [
  "channel",
  "closed_at",
  "first_author",
  "first_message_at",
  "first_reply_at",
  "messages_from_first_author",
  "messages_from_others",
  "last_seq",
] satisfies (keyof InsightConversationsTable)[]);

/** Slices add up: time from a batch joins what earlier batches put in the same slice. */
const SLICE_UPSERT = onConflictUpdate(["worker_sid", "slice"], ["worker_name", "team"], {
  available_ms: "insight_worker_slices.available_ms + excluded.available_ms",
  busy_ms: "insight_worker_slices.busy_ms + excluded.busy_ms",
  staffed_ms: "insight_worker_slices.staffed_ms + excluded.staffed_ms",
});

/** One workspace's segments in a projection batch, and the difference they make to its rollups. */
interface WorkspaceSegments {
  accountSid: string;
  workspaceSid: string;
  keys: SegmentKey[];
  changes: RowChanges;
}

function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function segmentRow(s: SegmentFact): InsightSegmentsTable {
  return {
    task_sid: s.taskSid,
    segment: s.segment,
    account_sid: s.accountSid,
    workspace_sid: s.workspaceSid,
    workflow_sid: s.workflowSid,
    queue_sid: s.queueSid,
    queue_name: s.queueName,
    channel: s.channel,
    direction: s.direction,
    conversation_sid: s.conversationSid,
    transferred_from: s.transferredFrom,
    task_created_at: s.taskCreatedAt,
    entered_at: s.enteredAt,
    entered_slice: Math.floor(s.enteredAt / SLICE_MS),
    first_reserved_at: s.firstReservedAt,
    accepted_at: s.acceptedAt,
    wrapup_at: s.wrapupAt,
    ended_at: s.endedAt,
    worker_sid: s.workerSid,
    worker_name: s.workerName,
    team: s.team,
    outcome: s.outcome,
    queue_ms: s.queueMs,
    ring_ms: s.ringMs,
    talk_ms: s.talkMs,
    wrap_ms: s.wrapMs,
    reservations: s.reservations,
    rejected: s.rejected,
    missed: s.missed,
    transferred: s.transferred ? 1 : 0,
    ringing: JSON.stringify(s.ringing),
    last_seq: s.lastSeq,
    measure_1: s.measures[0] ?? null,
    measure_2: s.measures[1] ?? null,
    measure_3: s.measures[2] ?? null,
    measure_4: s.measures[3] ?? null,
    measure_5: s.measures[4] ?? null,
    attribute_1: s.attributes[0] ?? null,
    attribute_2: s.attributes[1] ?? null,
    attribute_3: s.attributes[2] ?? null,
    attribute_4: s.attributes[3] ?? null,
    attribute_5: s.attributes[4] ?? null,
    attribute_6: s.attributes[5] ?? null,
    attribute_7: s.attributes[6] ?? null,
  };
}

/** Postgres returns numeric columns the driver cannot fit in a double as strings; ours all fit. */
const num = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function segmentOf(row: InsightSegmentsTable): SegmentFact {
  return {
    taskSid: row.task_sid,
    segment: Number(row.segment),
    accountSid: row.account_sid,
    workspaceSid: row.workspace_sid,
    workflowSid: row.workflow_sid,
    queueSid: row.queue_sid,
    queueName: row.queue_name,
    channel: row.channel,
    direction: row.direction,
    conversationSid: row.conversation_sid,
    transferredFrom: row.transferred_from,
    taskCreatedAt: Number(row.task_created_at),
    enteredAt: Number(row.entered_at),
    firstReservedAt: num(row.first_reserved_at),
    acceptedAt: num(row.accepted_at),
    wrapupAt: num(row.wrapup_at),
    endedAt: num(row.ended_at),
    workerSid: row.worker_sid,
    workerName: row.worker_name,
    team: row.team,
    outcome: row.outcome as SegmentOutcome | null,
    queueMs: num(row.queue_ms),
    ringMs: num(row.ring_ms),
    talkMs: num(row.talk_ms),
    wrapMs: num(row.wrap_ms),
    reservations: Number(row.reservations),
    rejected: Number(row.rejected),
    missed: Number(row.missed),
    transferred: Number(row.transferred) === 1,
    measures: [row.measure_1, row.measure_2, row.measure_3, row.measure_4, row.measure_5].map(num),
    attributes: [
      row.attribute_1,
      row.attribute_2,
      row.attribute_3,
      row.attribute_4,
      row.attribute_5,
      row.attribute_6,
      row.attribute_7,
    ],
    ringing: JSON.parse(row.ringing) as Record<string, number>,
    lastSeq: Number(row.last_seq),
  };
}

function workerStateRow(w: WorkerTimeState): InsightWorkerStatesTable {
  return {
    worker_sid: w.workerSid,
    account_sid: w.accountSid,
    workspace_sid: w.workspaceSid,
    worker_name: w.workerName,
    team: w.team,
    activity_name: w.activityName,
    available: w.available ? 1 : 0,
    tasks: w.tasks,
    since: w.since,
    last_seq: w.lastSeq,
  };
}

function workerStateOf(row: InsightWorkerStatesTable): WorkerTimeState {
  return {
    workerSid: row.worker_sid,
    accountSid: row.account_sid,
    workspaceSid: row.workspace_sid,
    workerName: row.worker_name,
    team: row.team,
    activityName: row.activity_name,
    available: Number(row.available) === 1,
    tasks: Number(row.tasks),
    since: Number(row.since),
    lastSeq: Number(row.last_seq),
  };
}

function conversationRow(c: ConversationFact): InsightConversationsTable {
  return {
    conversation_sid: c.conversationSid,
    account_sid: c.accountSid,
    channel: c.channel,
    created_at: c.createdAt,
    closed_at: c.closedAt,
    first_author: c.firstAuthor,
    first_message_at: c.firstMessageAt,
    first_reply_at: c.firstReplyAt,
    messages_from_first_author: c.messagesFromFirstAuthor,
    messages_from_others: c.messagesFromOthers,
    last_seq: c.lastSeq,
  };
}

export function conversationOf(row: InsightConversationsTable): ConversationFact {
  return {
    conversationSid: row.conversation_sid,
    accountSid: row.account_sid,
    channel: row.channel,
    createdAt: Number(row.created_at),
    closedAt: num(row.closed_at),
    firstAuthor: row.first_author,
    firstMessageAt: num(row.first_message_at),
    firstReplyAt: num(row.first_reply_at),
    messagesFromFirstAuthor: Number(row.messages_from_first_author),
    messagesFromOthers: Number(row.messages_from_others),
    lastSeq: Number(row.last_seq),
  };
}
