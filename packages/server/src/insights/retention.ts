import { SLICE_MS, type Clock } from "@switchboard/engine";
import { sql } from "kysely";
import type { Database } from "../platform/db/database.ts";
import { DEFAULT_SETTINGS, insightSettings } from "./settings.ts";

/**
 * Deletes facts older than each account's retention (24 months unless its settings say otherwise):
 * segments and their rollups by the time they entered their queue, worker slices by their start, conversations by
 * their creation. The event log is not touched, so a rebuild brings back what it still holds.
 */
export async function sweepExpiredFacts(database: Database, clock: Clock): Promise<number> {
  const rows = await database.db.selectFrom("insight_settings").select(["account_sid", "settings"]).execute();
  const custom = rows
    .map((row) => ({
      accountSid: row.account_sid,
      months: insightSettings.parse(JSON.parse(row.settings)).retention_months,
    }))
    .filter((r) => r.months !== DEFAULT_SETTINGS.retention_months);
  let deleted = 0;
  for (const { accountSid, months } of custom) {
    deleted += await sweep(database, cutoff(clock.now(), months), [accountSid], "in");
  }
  deleted += await sweep(
    database,
    cutoff(clock.now(), DEFAULT_SETTINGS.retention_months),
    custom.map((c) => c.accountSid),
    "not in",
  );
  return deleted;
}

/** The same day and time `months` calendar months before `now`. */
export function cutoff(now: number, months: number): number {
  const date = new Date(now);
  date.setUTCMonth(date.getUTCMonth() - months);
  return date.getTime();
}

/** The tables swept, each with the column dating its rows and that column's unit. */
const DATED = [
  { table: "insight_segments", column: "entered_slice", unit: "slice" },
  { table: "insight_rollups", column: "slice", unit: "slice" },
  { table: "insight_agent_rollups", column: "slice", unit: "slice" },
  { table: "insight_worker_slices", column: "slice", unit: "slice" },
  { table: "insight_conversations", column: "created_at", unit: "ms" },
] as const;

async function sweep(
  database: Database,
  before: number,
  accounts: string[],
  match: "in" | "not in",
): Promise<number> {
  // `not in ()` is not SQL: with no accounts to leave out, every account is swept.
  const scope =
    accounts.length === 0
      ? match === "in"
        ? sql`and 1 = 0`
        : sql``
      : sql`and account_sid ${sql.raw(match)} (${sql.join(accounts)})`;
  let deleted = 0;
  for (const { table, column, unit } of DATED) {
    const bound = unit === "slice" ? Math.floor(before / SLICE_MS) : before;
    const result =
      await sql`delete from ${sql.table(table)} where ${sql.ref(column)} < ${bound} ${scope}`.execute(
        database.db,
      );
    deleted += Number(result.numAffectedRows ?? 0);
  }
  return deleted;
}
