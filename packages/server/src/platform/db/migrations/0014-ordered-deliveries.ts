import type { Kysely } from "kysely";

/**
 * Deliveries that must reach their receiver in event order: those of a subscription that asks for it
 * (a message's StatusCallback, whose statuses a receiver reads as a sequence). Such a delivery is not
 * claimed while an earlier one of the same subscription is still to be delivered (see the webhook
 * store's `claimDue`); the existing index by account, webhook and event position finds that one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("webhook_deliveries")
    .addColumn("ordered", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
