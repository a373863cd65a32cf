import { sql, type Kysely } from "kysely";

/**
 * People who sign in to the web apps (admins, supervisors, agents linked to a TaskRouter worker),
 * their sign-in sessions, and each account's desktop settings (canned responses, disposition codes,
 * the CRM screen-pop URL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("sid", "varchar(34)", (c) => c.primaryKey())
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull().references("accounts.sid"))
    .addColumn("email", "varchar(254)", (c) => c.notNull())
    .addColumn("friendly_name", "varchar(255)", (c) => c.notNull())
    .addColumn("role", "varchar(16)", (c) => c.notNull())
    .addColumn("workspace_sid", "varchar(34)")
    .addColumn("worker_sid", "varchar(34)")
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("password_hash", "varchar(255)")
    .addColumn("invite_hash", "varchar(64)")
    .addColumn("invite_expires_at", "varchar(24)")
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
  // An email address signs in to one user, whatever its account.
  await db.schema.createIndex("users_by_email").on("users").column("email").unique().execute();
  await db.schema
    .createIndex("users_by_invite")
    .on("users")
    .column("invite_hash")
    .unique()
    .where(sql.ref("invite_hash"), "is not", null)
    .execute();
  // A worker is one person's.
  await db.schema
    .createIndex("users_by_worker")
    .on("users")
    .columns(["account_sid", "worker_sid"])
    .unique()
    .where(sql.ref("worker_sid"), "is not", null)
    .execute();

  await db.schema
    .createTable("user_sessions")
    .addColumn("token_hash", "varchar(64)", (c) => c.primaryKey())
    .addColumn("user_sid", "varchar(34)", (c) => c.notNull().references("users.sid"))
    .addColumn("account_sid", "varchar(34)", (c) => c.notNull())
    .addColumn("expires_at", "varchar(24)", (c) => c.notNull())
    .addColumn("date_created", "varchar(24)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("user_sessions_by_user").on("user_sessions").column("user_sid").execute();

  await db.schema
    .createTable("desktop_settings")
    .addColumn("account_sid", "varchar(34)", (c) => c.primaryKey().references("accounts.sid"))
    .addColumn("settings", "text", (c) => c.notNull())
    .addColumn("date_updated", "varchar(24)", (c) => c.notNull())
    .execute();
}
