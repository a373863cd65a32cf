import type { Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * WhatsApp and Messenger providers: Meta signs its webhooks with the app's secret, which is not the
 * access token sends use, so a provider may keep a second sealed secret. Their 24-hour customer
 * service window needs, per pair of addresses, when the customer last wrote.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable("messaging_providers").addColumn("webhook_secret_ciphertext", "text").execute();
  await db.schema
    .createIndex("channel_messages_by_pair")
    .on("channel_messages")
    .columns(["account_sid", "from_address", "to_address", "date_created"])
    .execute();
}
