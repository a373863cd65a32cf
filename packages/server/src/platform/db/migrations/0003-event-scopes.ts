import type { Kysely } from "kysely";
import type { Dialect } from "../database.ts";

/**
 * Events carry the SID of the resource that scopes them inside an account (a TaskRouter workspace),
 * so a scope's events are read without scanning the account's whole log.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable("events").addColumn("scope_sid", "varchar(34)").execute();
  await db.schema
    .createIndex("events_by_scope")
    .on("events")
    .columns(["account_sid", "scope_sid", "seq"])
    .execute();
}
