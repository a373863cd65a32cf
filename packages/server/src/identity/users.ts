import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Kysely } from "kysely";
import type { Database } from "../platform/db/database.ts";
import type { Schema, UserRole, UsersTable, UserStatus } from "../platform/db/schema.ts";
import { conflict, invalidParameter, notFound, unauthenticated } from "../platform/errors.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { randomSecret } from "../platform/ids.ts";
import { hashSecret } from "../platform/secrets/secret-box.ts";
import { isoAt } from "../platform/time.ts";
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, passwordMatches } from "./passwords.ts";

export const ROLES = ["admin", "supervisor", "agent"] as const satisfies readonly UserRole[];

/** What a role may do is cumulative: a supervisor may do what an agent may, an admin everything. */
export const ROLE_RANK: Record<UserRole, number> = { agent: 0, supervisor: 1, admin: 2 };

export interface User {
  sid: string;
  accountSid: string;
  email: string;
  friendlyName: string;
  role: UserRole;
  workspaceSid: string | null;
  workerSid: string | null;
  status: UserStatus;
  language: Language | null;
  dateCreated: string;
  dateUpdated: string;
}

export interface NewUser {
  email: string;
  friendlyName: string;
  role: UserRole;
  workspaceSid?: string | null;
  workerSid?: string | null;
  /** Set at once (operators, the demo); without one the user is invited and sets it themselves. */
  password?: string;
}

export interface UserChanges {
  friendlyName?: string;
  role?: UserRole;
  workspaceSid?: string | null;
  workerSid?: string | null;
  status?: "active" | "deactivated";
  /** null: follow the browser's language. */
  language?: Language | null;
}

/** The languages the web apps are written in (packages/web/src/i18n). */
export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];

export interface Invite {
  token: string;
  expiresAt: number;
}

export interface SignedIn {
  user: User;
  token: string;
  expiresAt: number;
}

const INVITE_TTL_MS = 7 * 86_400_000;

/**
 * People who sign in to the web apps, and their sessions. Passwords are kept as scrypt hashes;
 * invite and session tokens as SHA-256 hashes (they are 256 random bits, so no stretching is needed).
 * Deactivating a user ends their sessions in the same transaction.
 */
export class UserStore {
  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly sessionTtlMs: number,
  ) {}

  async create(accountSid: string, input: NewUser): Promise<{ user: User; invite: Invite | undefined }> {
    const now = this.clock.now();
    const email = normalEmail(input.email);
    const invite = input.password === undefined ? newInvite(now) : undefined;
    const row: UsersTable = {
      sid: this.ids.next("US"),
      account_sid: accountSid,
      email,
      friendly_name: input.friendlyName,
      role: input.role,
      workspace_sid: input.workspaceSid ?? null,
      worker_sid: input.workerSid ?? null,
      status: invite ? "invited" : "active",
      password_hash:
        input.password === undefined ? null : await hashPassword(checkedPassword(input.password)),
      invite_hash: invite ? hashSecret(invite.token) : null,
      invite_expires_at: invite ? isoAt(invite.expiresAt) : null,
      language: null,
      date_created: isoAt(now),
      date_updated: isoAt(now),
    };
    await this.database.transaction(async (tx) => {
      await this.refuseTaken(tx.db, accountSid, email, row.worker_sid, undefined);
      await tx.db.insertInto("users").values(row).execute();
      await this.events.append(tx, accountSid, [userEvent("user.created", row)]);
    });
    return { user: toUser(row), invite };
  }

  async get(accountSid: string, sid: string): Promise<User | undefined> {
    const row = await this.database.db
      .selectFrom("users")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async list(accountSid: string): Promise<User[]> {
    const rows = await this.database.db
      .selectFrom("users")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .orderBy("date_created")
      .orderBy("sid")
      .execute();
    return rows.map(toUser);
  }

  async update(accountSid: string, sid: string, changes: UserChanges): Promise<User> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .selectFrom("users")
        .selectAll()
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .executeTakeFirst();
      if (!row) throw notFound(`The requested resource User ${sid} was not found`);
      const next: UsersTable = {
        ...row,
        friendly_name: changes.friendlyName ?? row.friendly_name,
        role: changes.role ?? row.role,
        workspace_sid: changes.workspaceSid !== undefined ? changes.workspaceSid : row.workspace_sid,
        worker_sid: changes.workerSid !== undefined ? changes.workerSid : row.worker_sid,
        status: nextStatus(row, changes.status),
        language: changes.language !== undefined ? changes.language : row.language,
        date_updated: isoAt(this.clock.now()),
      };
      if (next.worker_sid !== row.worker_sid)
        await this.refuseTaken(tx.db, accountSid, undefined, next.worker_sid, sid);
      await tx.db.updateTable("users").set(next).where("sid", "=", sid).execute();
      // A changed role or deactivation takes effect at once: the user signs in again.
      if (next.status === "deactivated" || next.role !== row.role)
        await tx.db.deleteFrom("user_sessions").where("user_sid", "=", sid).execute();
      await this.events.append(tx, accountSid, [userEvent("user.updated", next)]);
      return toUser(next);
    });
  }

  /** A fresh invite for a user who has not accepted one, or who forgot their password. */
  async reinvite(accountSid: string, sid: string): Promise<{ user: User; invite: Invite }> {
    const user = await this.get(accountSid, sid);
    if (!user) throw notFound(`The requested resource User ${sid} was not found`);
    if (user.status === "deactivated") throw conflict(`User ${sid} is deactivated; reactivate them first`);
    const invite = newInvite(this.clock.now());
    await this.database.db
      .updateTable("users")
      .set({ invite_hash: hashSecret(invite.token), invite_expires_at: isoAt(invite.expiresAt) })
      .where("sid", "=", sid)
      .execute();
    return { user, invite };
  }

  /** The user an unexpired invite token belongs to. */
  async invited(token: string): Promise<User | undefined> {
    const row = await this.database.db
      .selectFrom("users")
      .selectAll()
      .where("invite_hash", "=", hashSecret(token))
      .where("invite_expires_at", ">", isoAt(this.clock.now()))
      .where("status", "!=", "deactivated")
      .executeTakeFirst();
    return row && toUser(row);
  }

  /** Sets the password an invite asked for, spends the invite and signs the person in. */
  async acceptInvite(token: string, password: string, friendlyName: string | undefined): Promise<SignedIn> {
    const user = await this.invited(token);
    if (!user) throw notFound("This invite is unknown, used or expired; ask an admin for a new one");
    const hash = await hashPassword(checkedPassword(password));
    const spent = await this.database.db
      .updateTable("users")
      .set({
        password_hash: hash,
        status: "active",
        friendly_name: friendlyName ?? user.friendlyName,
        invite_hash: null,
        invite_expires_at: null,
        date_updated: isoAt(this.clock.now()),
      })
      .where("sid", "=", user.sid)
      .where("invite_hash", "=", hashSecret(token))
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) === 0) throw notFound("This invite was used meanwhile");
    return this.openSession({ ...user, status: "active", friendlyName: friendlyName ?? user.friendlyName });
  }

  async signIn(email: string, password: string): Promise<SignedIn> {
    const row = await this.database.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", normalEmail(email))
      .executeTakeFirst();
    const matches = await passwordMatches(password, row?.password_hash ?? (await decoyHash()));
    if (!row || !matches || row.status !== "active")
      throw unauthenticated("The email address or password is incorrect, or the user is not active");
    return this.openSession(toUser(row));
  }

  /** The signed-in user behind a session token, while the session lasts and the user is active. */
  async session(token: string): Promise<{ user: User; expiresAt: number } | undefined> {
    const row = await this.database.db
      .selectFrom("user_sessions")
      .innerJoin("users", "users.sid", "user_sessions.user_sid")
      .selectAll("users")
      .select("user_sessions.expires_at")
      .where("user_sessions.token_hash", "=", hashSecret(token))
      .where("user_sessions.expires_at", ">", isoAt(this.clock.now()))
      .where("users.status", "=", "active")
      .executeTakeFirst();
    return row && { user: toUser(row), expiresAt: Date.parse(row.expires_at) };
  }

  async signOut(token: string): Promise<void> {
    await this.database.db.deleteFrom("user_sessions").where("token_hash", "=", hashSecret(token)).execute();
  }

  private async openSession(user: User): Promise<SignedIn> {
    const token = randomSecret(32);
    const now = this.clock.now();
    const expiresAt = now + this.sessionTtlMs;
    await this.database.transaction(async (tx) => {
      // The person's expired sessions go as they sign in again, so the table holds live ones.
      await tx.db
        .deleteFrom("user_sessions")
        .where("user_sid", "=", user.sid)
        .where("expires_at", "<=", isoAt(now))
        .execute();
      await tx.db
        .insertInto("user_sessions")
        .values({
          token_hash: hashSecret(token),
          user_sid: user.sid,
          account_sid: user.accountSid,
          expires_at: isoAt(expiresAt),
          date_created: isoAt(now),
        })
        .execute();
    });
    return { user, token, expiresAt };
  }

  private async refuseTaken(
    db: Kysely<Schema>,
    accountSid: string,
    email: string | undefined,
    workerSid: string | null,
    exceptSid: string | undefined,
  ): Promise<void> {
    if (email !== undefined) {
      const taken = await db.selectFrom("users").select("sid").where("email", "=", email).executeTakeFirst();
      if (taken) throw conflict(`A user with email ${email} already exists`);
    }
    if (workerSid !== null) {
      let query = db
        .selectFrom("users")
        .select("sid")
        .where("account_sid", "=", accountSid)
        .where("worker_sid", "=", workerSid);
      if (exceptSid) query = query.where("sid", "!=", exceptSid);
      if (await query.executeTakeFirst())
        throw conflict(`Worker ${workerSid} already belongs to another user`);
    }
  }
}

function nextStatus(row: UsersTable, wanted: UserChanges["status"]): UserStatus {
  if (wanted === undefined) return row.status;
  if (wanted === "deactivated") return "deactivated";
  // Reactivating someone who never set a password leaves them invited.
  return row.password_hash === null ? "invited" : "active";
}

function newInvite(now: number): Invite {
  return { token: randomSecret(32), expiresAt: now + INVITE_TTL_MS };
}

function checkedPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw invalidParameter(`Invalid parameter Password: use at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

function normalEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) throw invalidParameter(`Invalid parameter Email: ${email}`);
  return trimmed;
}

function userEvent(eventType: string, row: UsersTable) {
  return {
    eventType,
    resourceType: "user",
    resourceSid: row.sid,
    description: `User ${row.email} ${eventType === "user.created" ? "created" : "updated"}`,
    data: { Email: row.email, Role: row.role, Status: row.status, WorkerSid: row.worker_sid ?? "" },
  };
}

function toUser(row: UsersTable): User {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    email: row.email,
    friendlyName: row.friendly_name,
    role: row.role,
    workspaceSid: row.workspace_sid,
    workerSid: row.worker_sid,
    status: row.status,
    language: (LANGUAGES as readonly string[]).includes(row.language ?? "")
      ? (row.language as Language)
      : null,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}
