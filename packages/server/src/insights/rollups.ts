import { sql } from "kysely";
import type { Database, Dialect } from "../platform/db/database.ts";
import type { InsightRollupsTable } from "../platform/db/schema.ts";
import { rollupAggregates } from "./measures.ts";
import type { Settings } from "./settings.ts";

/** The dimensions a rollup row keeps: a report grouped and filtered only by these reads rollups. */
export const ROLLUP_DIMENSIONS: ReadonlySet<string> = new Set(["queue", "channel", "direction", "workflow"]);

/** An arbitrary constant naming the Postgres advisory locks (one per account) of rollup writers. */
const ROLLUP_LOCK = 7_345_113;

/** The segment columns a rollup row is keyed by (its slice is the segments' `entered_slice`). */
const KEYS = ["queue_sid", "channel", "direction", "workflow_sid"] as const;

/** Slices per statement: well under both dialects' bound-parameter limits. */
const SLICES_PER_STATEMENT = 500;

type Db = Database["db"];

/**
 * Segment measures summed per 15-minute slice, queue, channel, direction and workflow: what most
 * reports read, a few rows per slice instead of every segment.
 *
 * Invariant: the rollup rows of a slice are the aggregates (`rollupAggregates`) of the segments
 * that entered a queue in that slice, counted with the account's current thresholds (service level
 * per queue, short abandon). Two writers keep it: the projection recomputes every slice whose
 * segments it wrote, in the transaction that writes them; a change of thresholds recomputes the
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
    for (let i = 0; i < slices.length; i += SLICES_PER_STATEMENT) {
      const chunk = slices.slice(i, i + SLICES_PER_STATEMENT);
      await db
        .deleteFrom("insight_rollups")
        .where("account_sid", "=", accountSid)
        .where("workspace_sid", "=", workspaceSid)
        .where("slice", "in", chunk)
        .execute();
      await this.insert(db, settings, accountSid, { workspaceSid, slices: chunk });
    }
  }

  /** Recomputes all of an account's rollups (its thresholds changed). The caller holds the lock. */
  async rebuild(db: Db, accountSid: string, settings: Settings): Promise<void> {
    await db.deleteFrom("insight_rollups").where("account_sid", "=", accountSid).execute();
    await this.insert(db, settings, accountSid);
  }

  /** Inserts the rollups of the account's segments, or of those slices of one workspace. */
  private async insert(
    db: Db,
    settings: Settings,
    accountSid: string,
    only?: { workspaceSid: string; slices: number[] },
  ): Promise<void> {
    const aggregates = rollupAggregates(settings);
    // INSERT … SELECT matches columns by position: the select lists them in the insert's order.
    const select = db
      .selectFrom("insight_segments")
      .select(["account_sid", "workspace_sid", "entered_slice", ...KEYS])
      .select(sql<string | null>`max(queue_name)`.as("queue_name"))
      .select(aggregates.map(([column, aggregate]) => aggregate.as(column)))
      .where("account_sid", "=", accountSid)
      .$if(only !== undefined, (q) =>
        q.where("workspace_sid", "=", only!.workspaceSid).where("entered_slice", "in", only!.slices),
      )
      .groupBy(["account_sid", "workspace_sid", "entered_slice", ...KEYS]);
    await db
      .insertInto("insight_rollups")
      .columns([
        "account_sid",
        "workspace_sid",
        "slice",
        ...KEYS,
        "queue_name",
        ...aggregates.map(([column]) => column as keyof InsightRollupsTable),
      ])
      .expression(select as never)
      .execute();
  }
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
