import type { OffsetPiece } from "@switchboard/engine";
import { SLICE_MS } from "@switchboard/engine";
import { sql } from "kysely";
import type { Database, Dialect } from "../platform/db/database.ts";
import type { RollupMeasures } from "../platform/db/schema.ts";
import { rollupAggregates } from "./measures.ts";
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

/** Slices per statement: well under both dialects' bound-parameter limits. */
const SLICES_PER_STATEMENT = 500;

type Db = Database["db"];

/**
 * Segment measures summed ahead of reports (`TABLES`): what most reports read, a few rows per
 * slice or hour instead of every segment.
 *
 * Invariant: a rollup row holds the aggregates (`rollupAggregates`) of the segments with its keys
 * that entered a queue in its slices, counted with the account's current thresholds (service level
 * per queue, short abandon). Two writers keep it: the projection recomputes the rows of every slice
 * it wrote segments in, in the transaction that writes them; a change of thresholds recomputes the
 * whole account in the transaction that stores them. Both first take the account's rollup lock and
 * read the thresholds under it, so neither can leave rows counted with thresholds the other
 * replaced.
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

  /** Recomputes a workspace's rollups of `slices` from its segments. The caller holds the lock. */
  async refresh(
    db: Db,
    accountSid: string,
    workspaceSid: string,
    slices: number[],
    settings: Settings,
  ): Promise<void> {
    for (const table of TABLES) {
      const starts = [...new Set(slices.map((s) => s - (s % table.slices)))];
      for (let i = 0; i < starts.length; i += SLICES_PER_STATEMENT) {
        const chunk = starts.slice(i, i + SLICES_PER_STATEMENT);
        await db
          .deleteFrom(table.name)
          .where("account_sid", "=", accountSid)
          .where("workspace_sid", "=", workspaceSid)
          .where("slice", "in", chunk)
          .execute();
        const covered = chunk.flatMap((start) => Array.from({ length: table.slices }, (_, k) => start + k));
        await this.insert(db, table, settings, accountSid, { workspaceSid, slices: covered });
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
