import type { Kysely } from "kysely";

/**
 * Insight rollups: the segment measures summed per 15-minute slice, queue, channel, direction and
 * workflow (see insights/rollups.ts). A report grouped and filtered only by those reads a few rows
 * per slice instead of every segment. Key columns may be null (a task that never reached a queue
 * keeps its segment's nulls), so the table has no primary key; rows are replaced a slice at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let rollups = db.schema
    .createTable("insight_rollups")
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("slice", "integer", (c) => c.notNull())
    .addColumn("queue_sid", "varchar(34)")
    .addColumn("queue_name", "varchar(255)")
    .addColumn("channel", "varchar(64)", (c) => c.notNull())
    .addColumn("direction", "varchar(32)", (c) => c.notNull())
    .addColumn("workflow_sid", "varchar(34)");
  for (const measure of [
    "offered",
    "handled",
    "completed",
    "abandoned",
    "short_abandoned",
    "timed_out",
    "transferred",
    "answered_in_sl",
    "abandoned_in_sl",
    "wait_ms",
    "abandon_wait_ms",
    "ring_ms",
    "talk_ms",
    "wrap_ms",
    "reservations",
    "rejected",
    "missed",
  ]) {
    rollups = rollups.addColumn(measure, "double precision", (c) => c.notNull());
  }
  for (let n = 1; n <= 5; n++) {
    rollups = rollups
      .addColumn(`measure_${n}`, "double precision", (c) => c.notNull())
      .addColumn(`measure_${n}_count`, "double precision", (c) => c.notNull());
  }
  await rollups.execute();
  await db.schema
    .createIndex("insight_rollups_by_slice")
    .on("insight_rollups")
    .columns(["account_sid", "workspace_sid", "slice"])
    .execute();
}
