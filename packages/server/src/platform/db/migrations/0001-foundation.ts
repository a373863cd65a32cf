import type { Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/** Accounts, API keys, the event log with consumer cursors, and webhook delivery. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("accounts")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("auth_token_ciphertext", "text", (c) => c.notNull())
    .addColumn("is_demo", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("friendly_name", "varchar(64)", (c) => c.notNull())
    .addColumn("secret_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("api_keys_by_account")
    .on("api_keys")
    .columns(["account_sid", "date_created", "sid"])
    .execute();

  await db.schema
    .createTable("events")
    .addColumn("seq", dialect === "postgres" ? "bigserial" : "integer", (c) =>
      dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("sid", "varchar(34)", (c) => c.notNull().unique())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("event_type", "varchar(64)", (c) => c.notNull())
    .addColumn("resource_type", "varchar(64)", (c) => c.notNull())
    .addColumn("resource_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_by_account").on("events").columns(["account_sid", "seq"]).execute();

  await db.schema
    .createTable("consumer_cursors")
    .addColumn("consumer", "varchar(64)", (c) => c.primaryKey())
    .addColumn("position", "bigint", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("webhooks")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("event_types", "text", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("webhooks_by_account")
    .on("webhooks")
    .columns(["account_sid", "status"])
    .execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("webhook_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("event_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("event_seq", "bigint", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "varchar(24)", (c) => c.notNull())
    .addColumn("lease_owner", "varchar(64)")
    .addColumn("lease_expires_at", "varchar(24)")
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("date_delivered", "varchar(24)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .addUniqueConstraint("webhook_deliveries_once_per_event", ["webhook_sid", "event_sid"])
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_due")
    .on("webhook_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_by_webhook")
    .on("webhook_deliveries")
    .columns(["account_sid", "webhook_sid", "event_seq"])
    .execute();

  await db.schema
    .createTable("webhook_attempts")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("delivery_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("attempt_number", "integer", (c) => c.notNull())
    .addColumn("outcome", "varchar(16)", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("duration_ms", "integer")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("webhook_attempts_by_delivery")
    .on("webhook_attempts")
    .columns(["account_sid", "delivery_sid", "attempt_number"])
    .execute();
}
