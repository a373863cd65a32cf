import { EventEmitter } from "node:events";
import { sql, type Insertable, type Kysely, type RawBuilder } from "kysely";
import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../db/database.ts";
import { columnsOf, insertRows } from "../db/insert-rows.ts";
import type { EventsTable, Schema } from "../db/schema.ts";
import { isoAt } from "../time.ts";
import { RecentEvents } from "./recent-events.ts";

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

/**
 * Rows of a state change, committed with the events describing it by `appendAtomically`. Every row
 * has the same columns (the first row's are the ones written).
 */
export interface AlongsideRows<T extends keyof Schema = keyof Schema> {
  table: T;
  rows: Array<Insertable<Schema[T]>>;
}

type EventRow = Omit<EventsTable, "seq">;

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

/** The columns an event row is written with (its position comes from the sequence). */
export const EVENT_COLUMNS = [
  "sid",
  "account_sid",
  "event_type",
  "resource_type",
  "resource_sid",
  "description",
  "data",
  "scope_sid",
  "date_created",
] as const satisfies ReadonlyArray<keyof EventRow>;

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
  /**
   * This process's appends whose transaction has neither been acknowledged nor rolled back, each by
   * the number it got when it started (oldest first).
   */
  private readonly appendsUnsettled = new Set<number>();
  private appendsStarted = 0;

  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Writes events inside the caller's transaction, beside the state change they describe. */
  async append(tx: Tx, accountSid: string, drafts: EventDraft[]): Promise<StoredEvent[]> {
    if (drafts.length === 0) return [];
    const { stored, rows } = this.draft(accountSid, drafts);
    await this.writeIn(tx, stored, rows, []);
    return stored;
  }

  /**
   * Commits events with the rows of the state change they describe (`alongside`), after `first` if
   * given (writes that need a transaction). Without `first`, Postgres writes it all in one statement
   * committed on its own: one round trip where a transaction takes four (BEGIN, the rows, the
   * events, COMMIT). A single statement is atomic, so this is the same guarantee.
   */
  async appendAtomically(
    accountSid: string,
    drafts: EventDraft[],
    alongside: AlongsideRows[],
    first?: (tx: Tx) => Promise<void>,
  ): Promise<StoredEvent[]> {
    const { stored, rows } = this.draft(accountSid, drafts);
    if (first || this.database.dialect === "sqlite") {
      await this.database.transaction(async (tx) => {
        await first?.(tx);
        await this.writeIn(tx, stored, rows, alongside);
      });
    } else {
      const append = this.appendStarted();
      try {
        await this.write(this.database.db, stored, rows, alongside);
      } catch (error) {
        this.appendEnded(append);
        throw error;
      }
      this.appendEnded(append, stored);
    }
    return stored;
  }

  /**
   * Postgres only: commits events, of any accounts, with `alongside` in one statement, like
   * `appendAtomically` without `first`, but only if `condition` holds. `condition` is SQL of our own
   * making: common table expressions the last of which, named `condition`, yields one row when the
   * writes may go ahead and none when they may not. They may write too, joining `condition` so as to
   * write only when it holds. Returns undefined, having written nothing, when it did not hold (known
   * by no positions coming back, so `events` must not be empty).
   */
  async appendIf(
    events: Array<{ accountSid: string; draft: EventDraft }>,
    alongside: AlongsideRows[],
    condition: RawBuilder<unknown>,
  ): Promise<StoredEvent[] | undefined> {
    if (events.length === 0) throw new Error("appendIf needs at least one event to tell whether it wrote");
    const stored: StoredEvent[] = [];
    const rows: EventRow[] = [];
    for (const accountSid of new Set(events.map((event) => event.accountSid))) {
      const drafted = this.draft(
        accountSid,
        events.filter((event) => event.accountSid === accountSid).map((event) => event.draft),
      );
      stored.push(...drafted.stored);
      rows.push(...drafted.rows);
    }
    const append = this.appendStarted();
    let positions: Array<{ seq: number; sid: string }>;
    try {
      positions = (await postgresInsert(rows, alongside, condition).execute(this.database.db)).rows;
    } catch (error) {
      this.appendEnded(append);
      throw error;
    }
    if (positions.length === 0) {
      this.appendEnded(append);
      return undefined;
    }
    setPositions(stored, positions);
    this.appendEnded(append, stored);
    return stored;
  }

  /** Writes inside `tx`; until the transaction ends, the append counts as unsettled (see `readAfter`). */
  private async writeIn(tx: Tx, stored: StoredEvent[], rows: EventRow[], alongside: AlongsideRows[]) {
    const append = this.appendStarted();
    tx.afterCommit(() => this.appendEnded(append, stored));
    tx.afterRollback(() => this.appendEnded(append));
    await this.write(tx.db, stored, rows, alongside);
  }

  /** The events' records and rows, their positions still to come from the insert. */
  private draft(accountSid: string, drafts: EventDraft[]): { stored: StoredEvent[]; rows: EventRow[] } {
    const now = this.clock.now();
    const dateCreated = isoAt(now);
    const stored: StoredEvent[] = [];
    const rows = drafts.map((draft): EventRow => {
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
        seq: 0, // from the insert (see `write`)
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
    return { stored, rows };
  }

  /**
   * Inserts the alongside rows and the events, and sets each stored event's position. Only the
   * positions come back: the rest is what was just written, so it is not read back and parsed again.
   * (SQL does not promise RETURNING keeps the input order, hence the SIDs.)
   */
  private async write(
    db: Kysely<Schema>,
    stored: StoredEvent[],
    rows: EventRow[],
    alongside: AlongsideRows[],
  ): Promise<void> {
    let positions: Array<{ seq: number; sid: string }> = [];
    if (this.database.dialect === "postgres") {
      positions = (await postgresInsert(rows, alongside).execute(db)).rows;
    } else {
      for (const { table, rows: tableRows } of alongside)
        if (tableRows.length > 0) await insertRows(db, "sqlite", table, columnsOf(tableRows), tableRows);
      positions = await insertRows(db, "sqlite", "events", EVENT_COLUMNS, rows, {
        returning: ["seq", "sid"],
      });
    }
    setPositions(stored, positions);
  }

  /** Counts an append as under way, before its first statement is sent; returns its number. */
  private appendStarted(): number {
    this.appendsUnsettled.add(++this.appendsStarted);
    return this.appendsStarted;
  }

  /**
   * Append number `append` has ended: committed with `stored`, or (without) written nothing.
   * Readers wake only once the events are kept and the append no longer counts as under way.
   */
  private appendEnded(append: number, stored?: StoredEvent[]): void {
    this.appendsUnsettled.delete(append);
    if (stored?.length) this.recent.add(stored, this.appendsStarted);
    // Events held past a gap this append was to fill (it failed) are readable now too.
    const released = this.recent.settle(this.appendsUnsettled.values().next().value ?? Infinity);
    if (stored?.length || released) this.appended.emit("appended", stored?.length ?? 0);
  }
  /** Events of every account after `position`, oldest first: the consumers' view. */
  async readAfter(position: number, limit: number): Promise<StoredEvent[]> {
    const recent = this.recent.after(position, limit);
    if (recent) return recent;
    // A reader caught up with the run of events this process committed finds more in the database
    // only if another process appended after them (or events of this process wait past a gap for
    // an append under way, see RecentEvents). Every consumer wakes after each commit and asks this:
    // one look at the database answers them all for CAUGHT_UP_RECHECK_MS, which bounds how late
    // another process's events can be seen.
    const caughtUp = position === this.recent.last();
    // While this process has appends in flight, what the database holds after the kept events may
    // be commits not yet acknowledged (SQLite's commit is visible before its flush ends): a reader
    // must not act on those, and each look would cost a query. Their acknowledgement wakes readers;
    // another process's events, if any, are read then (they break the kept run, see RecentEvents).
    if (caughtUp && this.appendsUnsettled.size > 0) return [];
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

/** Sets each stored event's position from the insert's (SQL does not promise RETURNING keeps the input order). */
function setPositions(stored: StoredEvent[], positions: Array<{ seq: number; sid: string }>): void {
  const bySid = new Map(stored.map((event) => [event.sid, event]));
  for (const row of positions) bySid.get(row.sid)!.seq = Number(row.seq);
}

/**
 * One Postgres statement that takes the append lock, inserts the alongside rows and then the events,
 * returning the events' positions. Sequence values are handed out at insert time but become visible
 * at commit; holding the lock until commit makes the two orders the same. The events' rows join the
 * lock's one row, so none is numbered before the lock is held, and are numbered in the order given.
 * Rows travel as one JSON array per table (`json_populate_recordset` types them by the table), so
 * the statement's size in parameters does not grow with the rows. With a `condition` (see
 * `appendIf`), the lock and every insert join its row: without one, nothing is locked or written.
 */
function postgresInsert(rows: EventRow[], alongside: AlongsideRows[], condition?: RawBuilder<unknown>) {
  const when = condition ? sql`condition, ` : sql``;
  const ctes = [
    ...(condition ? [condition] : []),
    sql`appending as (select pg_advisory_xact_lock(${sql.lit(APPEND_LOCK)})${condition ? sql` from condition` : sql``})`,
  ];
  alongside.forEach(({ table, rows: tableRows }, i) => {
    if (tableRows.length === 0) return;
    const columns = sql.join(columnsOf(tableRows).map((column) => sql.ref(column)));
    ctes.push(
      sql`${sql.id(`alongside_${i}`)} as (insert into ${sql.table(table)} (${columns})
        select ${columns} from ${when}json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(tableRows)}::json))`,
    );
  });
  const columns = sql.join(EVENT_COLUMNS.map((column) => sql.ref(column)));
  const selected = sql.join(EVENT_COLUMNS.map((column) => sql.ref(`appended.${column}`)));
  return sql<{ seq: number; sid: string }>`with ${sql.join(ctes)}
    insert into events (${columns})
    select ${selected} from appending,
      json_populate_recordset(null::events, ${JSON.stringify(rows)}::json) with ordinality as appended
    order by appended.ordinality
    returning seq, sid`;
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
