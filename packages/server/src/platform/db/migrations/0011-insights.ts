import type { Kysely } from "kysely";

/**
 * Insights: the facts the reporting projection derives from the event log (task segments, workers'
 * time in 15-minute slices, conversations, and each worker's current state, which the next event
 * closes), and what accounts configure: settings, metric definitions, alert rules and scheduled
 * report emails. Times are epoch milliseconds; `*_slice` columns are the 15-minute slice number
 * (ms / 900 000), what reports group and filter by.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let segments = db.schema
    .createTable("insight_segments")
    .addColumn("task_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("segment", "integer", (c) => c.notNull())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("workflow_sid", "varchar(34)")
    .addColumn("queue_sid", "varchar(34)")
    .addColumn("queue_name", "varchar(255)")
    .addColumn("channel", "varchar(64)", (c) => c.notNull())
    .addColumn("direction", "varchar(32)", (c) => c.notNull())
    .addColumn("conversation_sid", "varchar(34)")
    .addColumn("transferred_from", "varchar(34)")
    .addColumn("task_created_at", "double precision", (c) => c.notNull())
    .addColumn("entered_at", "double precision", (c) => c.notNull())
    .addColumn("entered_slice", "integer", (c) => c.notNull())
    .addColumn("first_reserved_at", "double precision")
    .addColumn("accepted_at", "double precision")
    .addColumn("wrapup_at", "double precision")
    .addColumn("ended_at", "double precision")
    .addColumn("worker_sid", "varchar(34)")
    .addColumn("worker_name", "varchar(255)")
    .addColumn("team", "varchar(255)")
    .addColumn("outcome", "varchar(16)")
    .addColumn("queue_ms", "double precision")
    .addColumn("ring_ms", "double precision")
    .addColumn("talk_ms", "double precision")
    .addColumn("wrap_ms", "double precision")
    .addColumn("reservations", "integer", (c) => c.notNull())
    .addColumn("rejected", "integer", (c) => c.notNull())
    .addColumn("missed", "integer", (c) => c.notNull())
    .addColumn("transferred", "integer", (c) => c.notNull())
    .addColumn("ringing", "text", (c) => c.notNull())
    .addColumn("last_seq", "bigint", (c) => c.notNull());
  for (let i = 1; i <= 5; i++) segments = segments.addColumn(`measure_${i}`, "double precision");
  for (let i = 1; i <= 7; i++) segments = segments.addColumn(`attribute_${i}`, "varchar(255)");
  await segments.addPrimaryKeyConstraint("insight_segments_pk", ["task_sid", "segment"]).execute();
  await db.schema
    .createIndex("insight_segments_by_slice")
    .on("insight_segments")
    .columns(["account_sid", "workspace_sid", "entered_slice"])
    .execute();
  // The warehouse export reads changes in the order the projection made them.
  await db.schema
    .createIndex("insight_segments_by_change")
    .on("insight_segments")
    .columns(["account_sid", "last_seq", "task_sid", "segment"])
    .execute();

  await db.schema
    .createTable("insight_worker_slices")
    .addColumn("worker_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("slice", "integer", (c) => c.notNull())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("worker_name", "varchar(255)", (c) => c.notNull())
    .addColumn("team", "varchar(255)")
    .addColumn("available_ms", "double precision", (c) => c.notNull())
    .addColumn("busy_ms", "double precision", (c) => c.notNull())
    .addColumn("staffed_ms", "double precision", (c) => c.notNull())
    .addPrimaryKeyConstraint("insight_worker_slices_pk", ["worker_sid", "slice"])
    .execute();
  await db.schema
    .createIndex("insight_worker_slices_by_slice")
    .on("insight_worker_slices")
    .columns(["account_sid", "workspace_sid", "slice"])
    .execute();

  await db.schema
    .createTable("insight_worker_states")
    .addColumn("worker_sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("worker_name", "varchar(255)", (c) => c.notNull())
    .addColumn("team", "varchar(255)")
    .addColumn("activity_name", "varchar(255)", (c) => c.notNull())
    .addColumn("available", "integer", (c) => c.notNull())
    .addColumn("tasks", "integer", (c) => c.notNull())
    .addColumn("since", "double precision", (c) => c.notNull())
    .addColumn("last_seq", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("insight_worker_states_by_workspace")
    .on("insight_worker_states")
    .columns(["account_sid", "workspace_sid"])
    .execute();

  await db.schema
    .createTable("insight_conversations")
    .addColumn("conversation_sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("channel", "varchar(32)")
    .addColumn("created_at", "double precision", (c) => c.notNull())
    .addColumn("closed_at", "double precision")
    .addColumn("first_author", "varchar(255)")
    .addColumn("first_message_at", "double precision")
    .addColumn("first_reply_at", "double precision")
    .addColumn("messages_from_first_author", "integer", (c) => c.notNull())
    .addColumn("messages_from_others", "integer", (c) => c.notNull())
    .addColumn("last_seq", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("insight_conversations_by_change")
    .on("insight_conversations")
    .columns(["account_sid", "last_seq", "conversation_sid"])
    .execute();
  await db.schema
    .createIndex("insight_conversations_by_date")
    .on("insight_conversations")
    .columns(["account_sid", "created_at"])
    .execute();

  await db.schema
    .createTable("insight_settings")
    .addColumn("account_sid", "varchar(34)", (c) => c.primaryKey().references("accounts.sid"))
    .addColumn("settings", "text", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("insight_metrics")
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("name", "varchar(48)", (c) => c.notNull())
    .addColumn("formula", "text", (c) => c.notNull())
    .addColumn("format", "varchar(16)", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .addPrimaryKeyConstraint("insight_metrics_pk", ["account_sid", "name"])
    .execute();

  await db.schema
    .createTable("insight_alerts")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("metric", "varchar(48)", (c) => c.notNull())
    .addColumn("comparison", "varchar(8)", (c) => c.notNull())
    .addColumn("threshold", "double precision", (c) => c.notNull())
    .addColumn("window_minutes", "integer", (c) => c.notNull())
    .addColumn("queue_sid", "varchar(34)")
    .addColumn("email_to", "text", (c) => c.notNull())
    .addColumn("webhook_url", "text")
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("state", "varchar(8)", (c) => c.notNull())
    .addColumn("last_value", "double precision")
    .addColumn("date_evaluated", "varchar(24)")
    .addColumn("date_fired", "varchar(24)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("insight_alerts_by_account")
    .on("insight_alerts")
    .columns(["account_sid", "date_created", "sid"])
    .execute();

  await db.schema
    .createTable("insight_schedules")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("report", "text", (c) => c.notNull())
    .addColumn("frequency", "varchar(8)", (c) => c.notNull())
    .addColumn("time_zone", "varchar(64)", (c) => c.notNull())
    .addColumn("hour", "integer", (c) => c.notNull())
    .addColumn("format", "varchar(8)", (c) => c.notNull())
    .addColumn("email_to", "text", (c) => c.notNull())
    .addColumn("next_run_at", "varchar(24)", (c) => c.notNull())
    .addColumn("date_last_sent", "varchar(24)")
    .addColumn("last_error", "text")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("insight_schedules_by_account")
    .on("insight_schedules")
    .columns(["account_sid", "date_created", "sid"])
    .execute();
  await db.schema
    .createIndex("insight_schedules_due")
    .on("insight_schedules")
    .column("next_run_at")
    .execute();
}
