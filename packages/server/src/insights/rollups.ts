import type { OffsetPiece } from "@switchboard/engine";
import { SLICE_MS } from "@switchboard/engine";
import { sql } from "kysely";
import type { Database, Dialect } from "../platform/db/database.ts";
import type { RollupMeasures } from "../platform/db/schema.ts";
import { rollupAggregates, rollupColumns } from "./measures.ts";
import type { Settings } from "./settings.ts";

/** One way of rolling segments up: its table, how many slices a row covers, what it keeps. */
interface RollupTable {
  name: "insight_rollups" | "insight_agent_rollups";
  /** Slices per row: a row's `slice` is the first of them. */
  slices: number;
  /** The segment columns rows are keyed by. */
  keys: readonly string[];
  /** The label kept beside the keys (the last one of the segments, by `max`). */
  label: "queue_name" | "worker_name";
  /** The report dimensions those keys answer. */
  dimensions: ReadonlySet<string>;
}

/**
 * Per slice by queue, channel, direction and workflow; per hour by agent and team (an agent takes a
 * task or two per slice, so an agent's rows by slice would be as many as its segments).
 */
const TABLES: readonly RollupTable[] = [
  {
    name: "insight_rollups",
    slices: 1,
    keys: ["queue_sid", "channel", "direction", "workflow_sid"],
    label: "queue_name",
    dimensions: new Set(["queue", "channel", "direction", "workflow"]),
  },
  {
    name: "insight_agent_rollups",
    slices: 4,
    keys: ["worker_sid", "team"],
    label: "worker_name",
    dimensions: new Set(["worker", "team"]),
  },
];

/** An arbitrary constant naming the Postgres advisory locks (one per account) of rollup writers. */
const ROLLUP_LOCK = 7_345_113;

/** Segments per statement: two parameters each, well under both dialects' limits. */
const SEGMENTS_PER_STATEMENT = 400;

type Db = Database["db"];

/** A segment's key in `insight_segments`. */
export interface SegmentKey {
  taskSid: string;
  segment: number;
}

/** What a batch of segment writes changes in one rollup row: its keys, label and measure differences. */
interface RowChange {
  slice: number;
  keys: Record<string, string | null>;
  label: string | null;
  measures: Map<string, number>;
}

/** A batch's row changes per rollup table (in `TABLES` order), by row. */
export type RowChanges = Map<string, RowChange>[];

/**
 * Segment measures summed ahead of reports (`TABLES`): what most reports read, a few rows per
 * slice or hour instead of every segment.
 *
 * Invariant: a rollup row holds the aggregates (`rollupAggregates`) of the segments with its keys
 * that entered a queue in its slices, counted with the account's current thresholds (service level
 * per queue, short abandon). Two writers keep it: the projection applies the difference each batch
 * of segment writes makes (`measure` the stored versions, write, `measure` the new ones, `apply`),
 * in the transaction that writes them; a change of thresholds recomputes the whole account in the
 * transaction that stores them. Both first take the account's rollup lock and read the thresholds
 * under it, so neither can leave rows counted with thresholds the other replaced. Every rollup
 * measure is a sum or a count, so differences add up; a batch costs what its own segments cost,
 * however many segments its slices already hold.
 */
export class Rollups {
  constructor(private readonly dialect: Dialect) {}

  /**
   * Holds the account's rollup lock until the transaction ends. SQLite runs one writing
   * transaction at a time already.
   */
  async lock(db: Db, accountSid: string): Promise<void> {
    if (this.dialect !== "postgres") return;
    await sql`select pg_advisory_xact_lock(${sql.lit(ROLLUP_LOCK)}, hashtext(${accountSid}))`.execute(db);
  }

  /**
   * What the stored versions of these segments of one workspace count, per rollup row, with `sign`
   * (−1 before they are rewritten, +1 after), added into `changes`. The caller holds the lock.
   */
  async measure(
    db: Db,
    accountSid: string,
    workspaceSid: string,
    segments: SegmentKey[],
    settings: Settings,
    sign: 1 | -1,
    changes: RowChanges,
  ): Promise<void> {
    const aggregates = rollupAggregates(settings);
    for (const [t, table] of TABLES.entries()) {
      const per = sql.lit(table.slices);
      for (let i = 0; i < segments.length; i += SEGMENTS_PER_STATEMENT) {
        const chunk = segments.slice(i, i + SEGMENTS_PER_STATEMENT);
        // Segment numbers are integers the projection made, written as literals: Postgres types an
        // unadorned parameter in VALUES as text.
        const keys = sql.join(chunk.map((k) => sql`(${k.taskSid}, ${sql.lit(Math.trunc(k.segment))})`));
        const rows = (await db
          .selectFrom("insight_segments")
          .select(sql<number>`(entered_slice / ${per}) * ${per}`.as("slice"))
          .select(table.keys.map((key) => sql.ref(key).as(key)))
          .select(sql<string | null>`max(${sql.ref(table.label)})`.as(table.label))
          .select(aggregates.map(([column, aggregate]) => aggregate.as(column)))
          // By primary key alone: the keys are of this workspace's tasks (a task never changes
          // workspace), and naming the account would steer SQLite to the by-slice index instead.
          .where("task_sid", "in", [...new Set(chunk.map((k) => k.taskSid))])
          .where(sql<boolean>`(task_sid, segment) in (values ${keys})`)
          .groupBy([sql`entered_slice / ${per}`, ...table.keys.map((key) => sql.ref(key))])
          .execute()) as Record<string, unknown>[];
        for (const row of rows) {
          const keyValues = Object.fromEntries(table.keys.map((key) => [key, row[key] as string | null]));
          const id = JSON.stringify([Number(row.slice), ...Object.values(keyValues)]);
          let change = changes[t]!.get(id);
          if (!change) {
            change = { slice: Number(row.slice), keys: keyValues, label: null, measures: new Map() };
            changes[t]!.set(id, change);
          }
          if (sign > 0) change.label = row[table.label] as string | null;
          for (const [column] of aggregates)
            change.measures.set(column, (change.measures.get(column) ?? 0) + sign * Number(row[column]));
        }
      }
    }
  }

  /** A place for `measure` to add a batch's differences into, one map per rollup table. */
  changes(): RowChanges {
    return TABLES.map(() => new Map<string, RowChange>());
  }

  /**
   * Adds what `measure` found to one workspace's rollup rows, making the rows that are missing and
   * dropping those left counting no segment. The caller holds the lock.
   */
  async apply(db: Db, accountSid: string, workspaceSid: string, changes: RowChanges): Promise<void> {
    for (const [t, table] of TABLES.entries()) {
      const label = sql.ref(table.label);
      const touched = new Set<number>();
      for (const change of changes[t]!.values()) {
        // A rewrite that changed no figure (most events only move a segment's cursor) costs nothing.
        const measures = [...change.measures].filter(([, delta]) => delta !== 0);
        if (measures.length === 0) continue;
        touched.add(change.slice);
        const newLabel = sql`cast(${change.label} as varchar(255))`;
        const updated = await db
          .updateTable(table.name)
          .set(
            Object.fromEntries([
              ...measures.map(([column, delta]) => [column, sql`${sql.ref(column)} + ${delta}`]),
              // The label of the rollup path, `max` of the segments' labels, kept as rows change.
              [
                table.label,
                sql`case when ${newLabel} is null or ${label} > ${newLabel} then ${label} else ${newLabel} end`,
              ],
            ]) as never,
          )
          .where("account_sid", "=", accountSid)
          .where("workspace_sid", "=", workspaceSid)
          .where("slice", "=", change.slice)
          .where((eb) =>
            eb.and(
              table.keys.map((key) => eb(sql.ref(key), "is not distinct from", change.keys[key] ?? null)),
            ),
          )
          .executeTakeFirst();
        if (updated.numUpdatedRows > 0n) continue;
        await db
          .insertInto(table.name)
          .values({
            account_sid: accountSid,
            workspace_sid: workspaceSid,
            slice: change.slice,
            ...change.keys,
            [table.label]: change.label,
            ...Object.fromEntries(rollupColumns().map((column) => [column, 0])),
            ...Object.fromEntries(measures),
          } as never)
          .execute();
      }
      // A row whose segments all moved to other rows (or were rewritten away) counts nothing.
      const slices = [...touched];
      for (let i = 0; i < slices.length; i += SEGMENTS_PER_STATEMENT) {
        await db
          .deleteFrom(table.name)
          .where("account_sid", "=", accountSid)
          .where("workspace_sid", "=", workspaceSid)
          .where("slice", "in", slices.slice(i, i + SEGMENTS_PER_STATEMENT))
          .where("offered", "=", 0)
          .execute();
      }
    }
  }

  /** Recomputes all of an account's rollups (its thresholds changed). The caller holds the lock. */
  async rebuild(db: Db, accountSid: string, settings: Settings): Promise<void> {
    for (const table of TABLES) {
      await db.deleteFrom(table.name).where("account_sid", "=", accountSid).execute();
      await this.insert(db, table, settings, accountSid);
    }
  }

  /** Inserts the rollups of the account's segments, or of those slices of one workspace. */
  private async insert(
    db: Db,
    table: RollupTable,
    settings: Settings,
    accountSid: string,
    only?: { workspaceSid: string; slices: number[] },
  ): Promise<void> {
    const aggregates = rollupAggregates(settings);
    const per = sql.lit(table.slices);
    // INSERT … SELECT matches columns by position: the select lists them in the insert's order.
    const select = db
      .selectFrom("insight_segments")
      .select(["account_sid", "workspace_sid"])
      .select(sql<number>`(entered_slice / ${per}) * ${per}`.as("slice"))
      .select(table.keys.map((key) => sql.ref(key).as(key)))
      .select(sql<string | null>`max(${sql.ref(table.label)})`.as(table.label))
      .select(aggregates.map(([column, aggregate]) => aggregate.as(column)))
      .where("account_sid", "=", accountSid)
      .$if(only !== undefined, (q) =>
        q.where("workspace_sid", "=", only!.workspaceSid).where("entered_slice", "in", only!.slices),
      )
      .groupBy([
        sql.ref("account_sid"),
        sql.ref("workspace_sid"),
        sql`entered_slice / ${per}`,
        ...table.keys.map((key) => sql.ref(key)),
      ]);
    await db
      .insertInto(table.name)
      .columns([
        "account_sid",
        "workspace_sid",
        "slice",
        ...table.keys,
        table.label,
        ...aggregates.map(([column]) => column as keyof RollupMeasures),
      ] as never)
      .expression(select as never)
      .execute();
  }
}

/**
 * The rollup table a report can read instead of the segments, if any: one that keeps every
 * dimension it groups or filters by, and whose rows fit inside the report's buckets — an hour's
 * rows need a range of whole hours, and database buckets of whole hours in every offset piece.
 */
export function rollupFor(
  dimensions: string[],
  buckets: { size: number; pieces: OffsetPiece[] },
  from: number,
  to: number,
): RollupTable["name"] | undefined {
  const table = TABLES.find((t) => dimensions.every((d) => t.dimensions.has(d)));
  if (!table) return undefined;
  const whole = (slice: number) => slice % table.slices === 0;
  const fits =
    whole(from / SLICE_MS) &&
    whole(to / SLICE_MS) &&
    whole(buckets.size) &&
    buckets.pieces.every((p) => whole(p.fromSlice) && whole(p.shift));
  return fits ? table.name : undefined;
}

/** Whether a change of settings changes what rollups count (their thresholds). */
export function thresholdsChanged(before: Settings, after: Settings): boolean {
  const thresholds = (s: Settings) =>
    JSON.stringify([
      s.short_abandon_seconds,
      s.service_level_seconds,
      Object.entries(s.queue_service_level_seconds).sort(([a], [b]) => a.localeCompare(b)),
    ]);
  return thresholds(before) !== thresholds(after);
}
