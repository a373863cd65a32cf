import { EventEmitter } from "node:events";
import { sql } from "kysely";
import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../db/database.ts";
import type { EventsTable } from "../db/schema.ts";
import { isoAt } from "../time.ts";

/** What a state change says happened. */
export interface EventDraft {
  eventType: string;
  resourceType: string;
  resourceSid: string;
  description: string;
  /** Extra parameters for receivers, added to the standard ones (Sid, AccountSid, EventType, ...). */
  data?: Record<string, string>;
  /** The resource scoping the event inside the account (a TaskRouter workspace), if any. */
  scopeSid?: string;
}

export interface StoredEvent {
  seq: number;
  sid: string;
  accountSid: string;
  eventType: string;
  resourceType: string;
  resourceSid: string;
  description: string;
  /** Every parameter a webhook receiver gets, standard ones included. */
  data: Record<string, string>;
  scopeSid: string | null;
  dateCreated: string;
}

export interface EventFilter {
  eventType?: string;
  resourceSid?: string;
  scopeSid?: string;
  /** Parameters the event's data must hold with exactly these values (e.g. `{ TaskSid: "WT…" }`). */
  data?: Record<string, string>;
  /** Inclusive ISO bounds on date_created. */
  startDate?: string;
  endDate?: string;
}

/** How many of its latest committed events this process keeps for consumers to read from memory. */
const RECENT_EVENTS = 4096;

/** How long one look at the database tells caught-up readers there is nothing new (see `readAfter`). */
const CAUGHT_UP_RECHECK_MS = 50;

/** An arbitrary constant naming the Postgres advisory lock that orders appends. */
const APPEND_LOCK = 7_345_112;

/**
 * The event log: an append-only, totally ordered record of every state change, written in the same
 * transaction as the change. Consumers (webhooks now; the real-time stream and reporting later) read
 * it by cursor, so a crash between the commit and the consumer's work loses nothing.
 */
export class EventLog {
  /** Emits "appended" (with the number of events) after a commit that added events, so in-process consumers wake at once. */
  readonly appended = new EventEmitter();
  private readonly recent = new RecentEvents(RECENT_EVENTS);
  /** When the database last showed nothing after the newest event kept in memory. */
  private caughtUpCheckedAt = -Infinity;

  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {
    this.appended.setMaxListeners(0);
  }

  async append(tx: Tx, accountSid: string, drafts: EventDraft[]): Promise<StoredEvent[]> {
    if (drafts.length === 0) return [];
    if (this.database.dialect === "postgres") {
      // Sequence values are handed out at insert time but become visible at commit; holding this lock
      // until commit makes the two orders the same. (SQLite has a single writer already.)
      await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(tx.db);
    }
    const now = this.clock.now();
    const dateCreated = isoAt(now);
    const stored: StoredEvent[] = [];
    const rows = drafts.map((draft) => {
      const sid = this.ids.next("EV");
      const data: Record<string, string> = {
        Sid: sid,
        AccountSid: accountSid,
        EventType: draft.eventType,
        EventDescription: draft.description,
        ResourceType: draft.resourceType,
        ResourceSid: draft.resourceSid,
        Timestamp: String(Math.floor(now / 1000)),
        TimestampMs: String(now),
        ...draft.data,
      };
      stored.push({
        seq: 0, // from the insert, below
        sid,
        accountSid,
        eventType: draft.eventType,
        resourceType: draft.resourceType,
        resourceSid: draft.resourceSid,
        description: draft.description,
        data,
        scopeSid: draft.scopeSid ?? null,
        dateCreated,
      });
      return {
        sid,
        account_sid: accountSid,
        event_type: draft.eventType,
        resource_type: draft.resourceType,
        resource_sid: draft.resourceSid,
        description: draft.description,
        data: JSON.stringify(data),
        scope_sid: draft.scopeSid ?? null,
        date_created: dateCreated,
      };
    });
    // Only the positions come back: the rest is what was just written, so it is not read back and
    // parsed again. (SQL does not promise RETURNING keeps the VALUES order, hence the SIDs.)
    const positions = await tx.db.insertInto("events").values(rows).returning(["seq", "sid"]).execute();
    const bySid = new Map(stored.map((event) => [event.sid, event]));
    for (const row of positions) bySid.get(row.sid)!.seq = Number(row.seq);
    tx.afterCommit(() => {
      this.recent.add(stored);
      this.appended.emit("appended", stored.length);
    });
    return stored;
  }

  /** Events of every account after `position`, oldest first: the consumers' view. */
  async readAfter(position: number, limit: number): Promise<StoredEvent[]> {
    const recent = this.recent.after(position, limit);
    if (recent) return recent;
    // A reader caught up with every event this process committed finds more in the database only
    // if another process appended after them (one appending in between breaks the run, see
    // RecentEvents). Every consumer wakes after each commit and asks this: one look at the database
    // answers them all for CAUGHT_UP_RECHECK_MS, which bounds how late another process's events
    // can be seen.
    const caughtUp = position === this.recent.last();
    const now = this.clock.now();
    if (caughtUp && now - this.caughtUpCheckedAt < CAUGHT_UP_RECHECK_MS) return [];
    const rows = await this.database.db
      .selectFrom("events")
      .selectAll()
      .where("seq", ">", position)
      .orderBy("seq")
      .limit(limit)
      .execute();
    if (caughtUp && rows.length === 0) this.caughtUpCheckedAt = now;
    return rows.map(toEvent);
  }

  async get(accountSid: string, sid: string, scopeSid?: string): Promise<StoredEvent | undefined> {
    let query = this.database.db
      .selectFrom("events")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid);
    if (scopeSid !== undefined) query = query.where("scope_sid", "=", scopeSid);
    const row = await query.executeTakeFirst();
    return row && toEvent(row);
  }

  /** One account's events, newest first, starting below `beforeSeq` when given (keyset paging). */
  async list(
    accountSid: string,
    filter: EventFilter,
    page: { limit: number; beforeSeq?: number; offset?: number },
  ): Promise<StoredEvent[]> {
    let query = this.database.db.selectFrom("events").selectAll().where("account_sid", "=", accountSid);
    if (filter.eventType) query = query.where("event_type", "=", filter.eventType);
    if (filter.resourceSid) query = query.where("resource_sid", "=", filter.resourceSid);
    if (filter.scopeSid) query = query.where("scope_sid", "=", filter.scopeSid);
    for (const [name, value] of Object.entries(filter.data ?? {})) {
      // Parameter names come from our code, never from the caller; the value is bound.
      const field =
        this.database.dialect === "postgres"
          ? sql<string>`(data::json ->> ${name})`
          : sql<string>`json_extract(data, ${"$." + name})`;
      query = query.where(field, "=", value);
    }
    if (filter.startDate) query = query.where("date_created", ">=", filter.startDate);
    if (filter.endDate) query = query.where("date_created", "<=", filter.endDate);
    if (page.beforeSeq !== undefined) query = query.where("seq", "<", page.beforeSeq);
    const rows = await query
      .orderBy("seq", "desc")
      .limit(page.limit)
      .offset(page.offset ?? 0)
      .execute();
    return rows.map(toEvent);
  }

  /** The highest position in the log (0 when empty): how far behind a consumer is. */
  async head(): Promise<number> {
    const row = await this.database.db
      .selectFrom("events")
      .select((eb) => eb.fn.max("seq").as("head"))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }
}

function toEvent(row: Omit<EventsTable, "seq"> & { seq: number }): StoredEvent {
  return {
    seq: Number(row.seq),
    sid: row.sid,
    accountSid: row.account_sid,
    eventType: row.event_type,
    resourceType: row.resource_type,
    resourceSid: row.resource_sid,
    description: row.description,
    data: JSON.parse(row.data) as Record<string, string>,
    scopeSid: row.scope_sid,
    dateCreated: row.date_created,
  };
}

/**
 * The latest events this process committed, kept so that consumers woken by `appended` read them
 * from memory rather than each querying the database for the same rows.
 *
 * Invariant: the kept events are contiguous in seq. Appends commit in seq order (one SQLite writer;
 * the Postgres advisory lock), so when an event is added every event before it is committed; an
 * event that does not follow the last one kept (another process appended, a transaction rolled back,
 * commit callbacks ran out of order) starts the run afresh. A read is answered here only when it
 * starts inside the run and finds something; otherwise the database answers, as before, so events
 * appended by another process are never hidden.
 */
class RecentEvents {
  private events: StoredEvent[] = [];

  constructor(private readonly capacity: number) {}

  add(batch: StoredEvent[]): void {
    for (const event of batch) {
      const last = this.events.at(-1);
      if (last && event.seq !== last.seq + 1) this.events = [];
      this.events.push(event);
    }
    // Trim in halves, so trimming costs O(1) per event.
    if (this.events.length > 2 * this.capacity) this.events = this.events.slice(-this.capacity);
  }

  /** The position of the newest event kept, if any. */
  last(): number | undefined {
    return this.events.at(-1)?.seq;
  }

  after(position: number, limit: number): StoredEvent[] | undefined {
    const first = this.events[0];
    if (!first || position < first.seq - 1) return undefined;
    const start = position - first.seq + 1;
    if (start >= this.events.length) return undefined;
    return this.events.slice(start, start + limit);
  }
}
