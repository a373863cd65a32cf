import type { Kysely } from "kysely";

/**
 * A provider's reports on a message that came before its answer to the send was recorded: a fast
 * receipt (an SMSC's deliver_sm, an upstream's status callback) can overtake the response to the
 * submission it reports on. They wait here, keyed by the provider's ID for the message, until the
 * send's outcome is recorded and applies them (see messaging/store.ts `report`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("early_reports")
    .addColumn("provider_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("provider_message_id", "varchar(255)", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("error_code", "integer")
    .addColumn("error_message", "text")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addPrimaryKeyConstraint("early_reports_pkey", ["provider_sid", "provider_message_id", "status"])
    .execute();
  // Reports no send ever claims (the provider's own, a send recorded under another ID) are pruned by age.
  await db.schema.createIndex("early_reports_by_age").on("early_reports").column("date_created").execute();
}
