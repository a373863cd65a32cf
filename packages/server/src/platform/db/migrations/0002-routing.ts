import type { Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/** TaskRouter workspaces and each workspace's routing command log. */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("routing_workspaces")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("event_callback_url", "text")
    .addColumn("events_filter", "text")
    .addColumn("multi_task_enabled", "integer", (c) => c.notNull())
    .addColumn("default_activity_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("routing_workspaces_by_account")
    .on("routing_workspaces")
    .columns(["account_sid", "date_created", "sid"])
    .execute();

  await db.schema
    .createTable("routing_commands")
    .addColumn("workspace_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("command", "text", (c) => c.notNull())
    .addColumn("sids", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("routing_commands_pk", ["workspace_sid", "seq"])
    .execute();
}
