import { sql, type Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * Provider-backed messaging: the accounts' connections to carriers and platforms (an upstream SMS API,
 * an SMSC, ...) and every message that crossed one of them, in or out. An outbound row is written
 * before anything is sent and is the sender's to-do list.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("messaging_providers")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("type", "varchar(32)", (c) => c.notNull())
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("addresses", "text", (c) => c.notNull())
    .addColumn("settings", "text", (c) => c.notNull())
    .addColumn("secret_ciphertext", "text", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("messaging_providers_by_account")
    .on("messaging_providers")
    .columns(["account_sid", "date_created", "sid"])
    .execute();

  await db.schema
    .createTable("channel_messages")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("provider_sid", "varchar(34)")
    .addColumn("channel", "varchar(16)", (c) => c.notNull())
    .addColumn("direction", "varchar(16)", (c) => c.notNull())
    .addColumn("from_address", "varchar(255)", (c) => c.notNull())
    .addColumn("to_address", "varchar(255)", (c) => c.notNull())
    .addColumn("body", "text")
    .addColumn("media_urls", "text", (c) => c.notNull())
    .addColumn("num_segments", "integer", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("error_code", "integer")
    .addColumn("error_message", "text")
    .addColumn("provider_message_id", "varchar(255)")
    .addColumn("status_callback", "text")
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "varchar(24)")
    .addColumn("conversation_sid", "varchar(34)")
    .addColumn("message_sid", "varchar(34)")
    .addColumn("participant_sid", "varchar(34)")
    .addColumn("receipt_sid", "varchar(34)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .addColumn("date_sent", "varchar(24)")
    .execute();
  await db.schema
    .createIndex("channel_messages_by_account")
    .on("channel_messages")
    .columns(["account_sid", "date_created", "sid"])
    .execute();
  // The sender's queue: only rows with an attempt to come are in it.
  await db.schema
    .createIndex("channel_messages_due")
    .on("channel_messages")
    .columns(["next_attempt_at"])
    .where(sql.ref("next_attempt_at"), "is not", null)
    .execute();
  // A provider's own ID names one message: status reports find it, a redelivered inbound is recognised.
  await db.schema
    .createIndex("channel_messages_by_provider_id")
    .on("channel_messages")
    .columns(["provider_sid", "provider_message_id"])
    .unique()
    .where(sql.ref("provider_message_id"), "is not", null)
    .execute();
  // A conversation message's delivery receipts.
  await db.schema
    .createIndex("channel_messages_by_conversation_message")
    .on("channel_messages")
    .columns(["account_sid", "message_sid"])
    .where(sql.ref("message_sid"), "is not", null)
    .execute();
}
