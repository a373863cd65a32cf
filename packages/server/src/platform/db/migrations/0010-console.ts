import type { Kysely } from "kysely";

/**
 * What the admin console and the localized web apps need: each person's language, and a studio
 * webhook that runs a flow's latest revision (a test run from the flow builder) instead of its
 * latest published one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("users").addColumn("language", "varchar(8)").execute();
  await db.schema.alterTable("conversation_webhooks").addColumn("flow_revision", "varchar(16)").execute();
}
