import { sql, type Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * Conversations with their participants, messages and conversation-scoped webhooks, and the address
 * configurations that say what happens when a stranger writes to one of our addresses.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("conversations")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("unique_name", "varchar(255)")
    .addColumn("friendly_name", "varchar(255)")
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("state", "varchar(16)", (c) => c.notNull())
    .addColumn("messaging_service_sid", "varchar(34)")
    .addColumn("timers_inactive", "varchar(32)")
    .addColumn("timers_closed", "varchar(32)")
    .addColumn("date_inactive", "varchar(24)")
    .addColumn("date_closed", "varchar(24)")
    .addColumn("next_message_index", "integer", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("conversations_by_account")
    .on("conversations")
    .columns(["account_sid", "date_created", "sid"])
    .execute();
  // Both dialects let several rows leave unique_name null.
  await db.schema
    .createIndex("conversations_by_unique_name")
    .on("conversations")
    .columns(["account_sid", "unique_name"])
    .unique()
    .execute();
  await db.schema
    .createIndex("conversations_by_timer")
    .on("conversations")
    .columns(["state", "date_inactive", "date_closed"])
    .execute();

  await db.schema
    .createTable("conversation_participants")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("conversation_sid", "varchar(34)", (c) => c.notNull().references("conversations.sid"))
    .addColumn("identity", "varchar(255)")
    .addColumn("binding_type", "varchar(16)")
    .addColumn("address", "varchar(255)")
    .addColumn("proxy_address", "varchar(255)")
    .addColumn("projected_address", "varchar(255)")
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("role_sid", "varchar(34)")
    .addColumn("last_read_message_index", "integer")
    .addColumn("last_read_timestamp", "varchar(24)")
    .addColumn("conversation_open", "integer", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("conversation_participants_by_conversation")
    .on("conversation_participants")
    .columns(["account_sid", "conversation_sid", "date_created", "sid"])
    .execute();
  await db.schema
    .createIndex("conversation_participants_by_identity")
    .on("conversation_participants")
    .columns(["account_sid", "conversation_sid", "identity"])
    .unique()
    .execute();
  // An address reaches one open conversation through a given proxy address: inbound messages are
  // routed by that pair. Closing a conversation frees it (conversation_open = 0).
  await db.schema
    .createIndex("conversation_participants_open_binding")
    .on("conversation_participants")
    .columns(["account_sid", "address", "proxy_address"])
    .unique()
    .where(sql.ref("conversation_open"), "=", 1)
    .execute();

  await db.schema
    .createTable("conversation_messages")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("conversation_sid", "varchar(34)", (c) => c.notNull().references("conversations.sid"))
    .addColumn("message_index", "integer", (c) => c.notNull())
    .addColumn("author", "varchar(255)", (c) => c.notNull())
    .addColumn("body", "text")
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("participant_sid", "varchar(34)")
    .addColumn("subject", "varchar(255)")
    .addColumn("external_id", "varchar(255)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .addUniqueConstraint("conversation_messages_index", ["conversation_sid", "message_index"])
    .execute();
  // A provider's message ID is taken once: retried and duplicated inbound deliveries add nothing.
  await db.schema
    .createIndex("conversation_messages_by_external_id")
    .on("conversation_messages")
    .columns(["account_sid", "external_id"])
    .unique()
    .execute();

  await db.schema
    .createTable("conversation_addresses")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("type", "varchar(16)", (c) => c.notNull())
    .addColumn("address", "varchar(255)", (c) => c.notNull())
    .addColumn("friendly_name", "varchar(255)")
    .addColumn("auto_creation", "text", (c) => c.notNull())
    .addColumn("address_country", "varchar(2)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("conversation_addresses_by_address")
    .on("conversation_addresses")
    .columns(["account_sid", "type", "address"])
    .unique()
    .execute();

  await db.schema
    .createTable("conversation_webhooks")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("conversation_sid", "varchar(34)", (c) => c.notNull().references("conversations.sid"))
    .addColumn("target", "varchar(16)", (c) => c.notNull())
    .addColumn("url", "text")
    .addColumn("method", "varchar(8)", (c) => c.notNull())
    .addColumn("filters", "text", (c) => c.notNull())
    .addColumn("triggers", "text", (c) => c.notNull())
    .addColumn("flow_sid", "varchar(34)")
    .addColumn("replay_after", "integer")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("conversation_webhooks_by_conversation")
    .on("conversation_webhooks")
    .columns(["account_sid", "conversation_sid", "date_created", "sid"])
    .execute();
}
