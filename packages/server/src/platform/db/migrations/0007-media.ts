import { sql, type Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * Media: files attached to conversation messages (a web chat visitor's photo, an email's PDF),
 * kept in the database beside the messages so a backup or a second node has them too. A message
 * lists its media in `conversation_messages.media`.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("media")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("content_type", "varchar(255)", (c) => c.notNull())
    .addColumn("filename", "varchar(255)")
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("content", dialect === "postgres" ? "bytea" : "blob", (c) => c.notNull())
    .addColumn("uploaded_by", "varchar(255)")
    .addColumn("conversation_sid", "varchar(34)")
    .addColumn("message_sid", "varchar(34)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("media_by_message")
    .on("media")
    .columns(["account_sid", "message_sid"])
    .where(sql.ref("message_sid"), "is not", null)
    .execute();
  // Uploads never attached to a message are swept after a while.
  await db.schema
    .createIndex("media_unattached")
    .on("media")
    .columns(["date_created"])
    .where(sql.ref("message_sid"), "is", null)
    .execute();
  await db.schema.alterTable("conversation_messages").addColumn("media", "text").execute();
}
