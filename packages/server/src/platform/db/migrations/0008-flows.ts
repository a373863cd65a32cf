import { sql, type Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * Studio flows: each flow with every saved revision of its definition, and executions with the
 * steps they took. An execution's whole interpreter state is one JSON column, so it can wait for a
 * reply for days and resume on any node after a restart; `waiting` and `due_at` are copied out of
 * it for the indexes that find work (effects to perform, replies that timed out).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const flowColumns = <T extends Parameters<typeof db.schema.createTable>[0]>(name: T) =>
    db.schema
      .createTable(name)
      .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
      .addColumn("friendly_name", "varchar(256)", (c) => c.notNull())
      .addColumn("status", "varchar(16)", (c) => c.notNull())
      .addColumn("revision", "integer", (c) => c.notNull())
      .addColumn("definition", "text", (c) => c.notNull())
      .addColumn("commit_message", "text")
      .addColumn("valid", "integer", (c) => c.notNull())
      .addColumn("errors", "text", (c) => c.notNull())
      .addColumn("warnings", "text", (c) => c.notNull())
      .addColumn("date_created", "varchar(24)", (c) => c.notNull())
      .addColumn("date_updated", "varchar(24)", (c) => c.notNull());

  await flowColumns("flows")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("test_users", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("flows_by_account")
    .on("flows")
    .columns(["account_sid", "date_created", "sid"])
    .execute();

  await flowColumns("flow_revisions")
    .addColumn("flow_sid", "varchar(34)", (c) => c.notNull())
    .addPrimaryKeyConstraint("flow_revisions_pk", ["flow_sid", "revision"] as never)
    .execute();

  await db.schema
    .createTable("flow_executions")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("flow_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("flow_revision", "integer", (c) => c.notNull())
    .addColumn("parent_sid", "varchar(34)")
    .addColumn("contact_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("contact_channel_address", "varchar(320)", (c) => c.notNull())
    .addColumn("channel_address", "varchar(320)", (c) => c.notNull())
    .addColumn("conversation_sid", "varchar(34)")
    .addColumn("status", "varchar(8)", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("waiting", "varchar(8)")
    .addColumn("due_at", "varchar(24)")
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("ended_reason", "text")
    .addColumn("initiated_by", "varchar(64)", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("flow_executions_by_flow")
    .on("flow_executions")
    .columns(["account_sid", "flow_sid", "date_created", "sid"])
    .execute();
  await db.schema
    .createIndex("flow_executions_active_by_conversation")
    .on("flow_executions")
    .columns(["conversation_sid"])
    .where(sql.ref("status"), "=", "active")
    .execute();
  await db.schema
    .createIndex("flow_executions_waiting")
    .on("flow_executions")
    .columns(["waiting", "due_at"])
    .where(sql.ref("status"), "=", "active")
    .execute();
  // Studio runs one execution per contact and flow at a time (subflows aside): two starts racing
  // on two nodes cannot both win.
  await db.schema
    .createIndex("flow_executions_one_active_per_contact")
    .on("flow_executions")
    .columns(["account_sid", "flow_sid", "contact_channel_address"])
    .unique()
    .where(sql<boolean>`status = 'active' and parent_sid is null`)
    .execute();
  await db.schema
    .createIndex("flow_executions_by_parent")
    .on("flow_executions")
    .columns(["parent_sid"])
    .execute();

  await db.schema
    .createTable("flow_steps")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("flow_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("execution_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("name", "varchar(64)", (c) => c.notNull())
    .addColumn("type", "varchar(64)", (c) => c.notNull())
    .addColumn("transitioned_from", "varchar(256)", (c) => c.notNull())
    .addColumn("transitioned_to", "varchar(256)", (c) => c.notNull())
    .addColumn("context", "text", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("flow_steps_by_execution")
    .on("flow_steps")
    .columns(["execution_sid", "seq"])
    .execute();
}
