import type { Kysely } from "kysely";

/** The segment measures a rollup row sums (see insights/measures.ts `rollupAggregates`). */
const MEASURES = [
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
  ...[1, 2, 3, 4, 5].flatMap((n) => [`measure_${n}`, `measure_${n}_count`]),
];

/**
 * Insight rollups (see insights/rollups.ts): the segment measures summed per 15-minute slice,
 * queue, channel, direction and workflow, and per hour, agent and team. A report grouped and
 * filtered only by those reads a few rows per slice or hour instead of every segment. Key columns
 * may be null (a segment no agent accepted has no agent), so the tables have no primary key; rows
 * are replaced a slice (or hour) at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = {
    insight_rollups: [
      ["queue_sid", "varchar(34)", false],
      ["queue_name", "varchar(255)", false],
      ["channel", "varchar(64)", true],
      ["direction", "varchar(32)", true],
      ["workflow_sid", "varchar(34)", false],
    ],
    insight_agent_rollups: [
      ["worker_sid", "varchar(34)", false],
      ["worker_name", "varchar(255)", false],
      ["team", "varchar(255)", false],
    ],
  } as const;
  for (const [name, keys] of Object.entries(tables)) {
    let table = db.schema
      .createTable(name)
      .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
      .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
      .addColumn("slice", "integer", (c) => c.notNull());
    for (const [column, type, required] of keys)
      table = table.addColumn(column, type, (c) => (required ? c.notNull() : c));
    for (const measure of MEASURES) table = table.addColumn(measure, "double precision", (c) => c.notNull());
    await table.execute();
    await db.schema
      .createIndex(`${name}_by_slice`)
      .on(name)
      .columns(["account_sid", "workspace_sid", "slice"])
      .execute();
  }
}
