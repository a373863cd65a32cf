import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../platform/db/database.ts";
import type { AccountStatus, AccountsTable } from "../platform/db/schema.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { randomSecret } from "../platform/ids.ts";
import type { SecretBox } from "../platform/secrets/secret-box.ts";
import { isoAt } from "../platform/time.ts";

export interface Account {
  sid: string;
  friendlyName: string;
  status: AccountStatus;
  isDemo: boolean;
  dateCreated: string;
  dateUpdated: string;
}

/** Returned once, when an account is made: the only time its auth token leaves the server in the clear. */
export interface NewAccount extends Account {
  authToken: string;
}

const ROW_CACHE_MS = 5_000;
const ROW_CACHE_LIMIT = 10_000;

/** An account row as read, and its auth token once something needed it in the clear. */
interface CachedAccount {
  row: AccountsTable;
  readAt: number;
  authToken: string | undefined;
}

/**
 * Accounts are the tenants. An account's auth token is kept encrypted, not hashed, because webhooks
 * to the account's endpoints are signed with it (X-Twilio-Signature).
 */
export class AccountStore {
  /** Account rows recently read, oldest first, with the auth token once decrypted (see `cached`). */
  private readonly rows = new Map<string, CachedAccount>();

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly secrets: SecretBox,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async create(input: { friendlyName: string; isDemo?: boolean }): Promise<NewAccount> {
    const sid = this.ids.next("AC");
    const authToken = randomSecret(16);
    const now = isoAt(this.clock.now());
    const row: AccountsTable = {
      sid,
      friendly_name: input.friendlyName,
      status: "active",
      auth_token_ciphertext: this.secrets.seal(authToken),
      is_demo: input.isDemo ? 1 : 0,
      date_created: now,
      date_updated: now,
    };
    await this.database.transaction(async (tx: Tx) => {
      await tx.db.insertInto("accounts").values(row).execute();
      await this.events.append(tx, sid, [
        {
          eventType: "account.created",
          resourceType: "account",
          resourceSid: sid,
          description: "Account created",
        },
      ]);
    });
    return { ...toAccount(row), authToken };
  }

  async get(sid: string): Promise<Account | undefined> {
    const cached = await this.cached(sid);
    return cached && toAccount(cached.row);
  }

  /** The account and its plaintext auth token in one read, for checking credentials on every request. */
  async withAuthToken(sid: string): Promise<{ account: Account; authToken: string } | undefined> {
    const cached = await this.cached(sid);
    return cached && { account: toAccount(cached.row), authToken: this.tokenOf(cached) };
  }

  /** The plaintext auth token, for signing webhooks. Never returned by the API. */
  async authToken(sid: string): Promise<string | undefined> {
    const cached = await this.cached(sid);
    return cached && this.tokenOf(cached);
  }

  /** Decrypted once per cached read: every request with Basic credentials needs it. */
  private tokenOf(cached: CachedAccount): string {
    return (cached.authToken ??= this.secrets.open(cached.row.auth_token_ciphertext));
  }

  /**
   * Every authenticated request reads its account, so rows found are kept for ROW_CACHE_MS: a change
   * to an account row (its status, its token) takes effect within that time on every server. Unknown
   * SIDs are not kept, so guessing cannot fill the cache.
   */
  private async cached(sid: string): Promise<CachedAccount | undefined> {
    const now = this.clock.now();
    const cached = this.rows.get(sid);
    if (cached && now - cached.readAt < ROW_CACHE_MS) return cached;
    const row = await this.database.db
      .selectFrom("accounts")
      .selectAll()
      .where("sid", "=", sid)
      .executeTakeFirst();
    this.rows.delete(sid);
    if (!row) return undefined;
    if (this.rows.size >= ROW_CACHE_LIMIT) this.rows.delete(this.rows.keys().next().value!);
    const fresh: CachedAccount = { row, readAt: now, authToken: undefined };
    this.rows.set(sid, fresh);
    return fresh;
  }

  /** The account seeded for the demo contact center, if there is one. */
  async demo(): Promise<Account | undefined> {
    const row = await this.database.db
      .selectFrom("accounts")
      .selectAll()
      .where("is_demo", "=", 1)
      .orderBy("date_created")
      .executeTakeFirst();
    return row && toAccount(row);
  }
}

function toAccount(row: AccountsTable): Account {
  return {
    sid: row.sid,
    friendlyName: row.friendly_name,
    status: row.status,
    isDemo: row.is_demo === 1,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}
