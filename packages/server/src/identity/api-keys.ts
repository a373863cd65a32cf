import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database } from "../platform/db/database.ts";
import type { ApiKeysTable } from "../platform/db/schema.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { byCreation, creationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { randomSecret } from "../platform/ids.ts";
import { hashSecret, sameSecret } from "../platform/secrets/secret-box.ts";
import { isoAt } from "../platform/time.ts";

export interface ApiKey {
  sid: string;
  accountSid: string;
  friendlyName: string;
  dateCreated: string;
  dateUpdated: string;
}

/**
 * API keys: a SID and secret that authenticate as the account, and can be revoked one by one
 * without touching the account's auth token. Only a hash of the secret is stored.
 */
export class ApiKeyStore {
  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async create(accountSid: string, friendlyName: string): Promise<ApiKey & { secret: string }> {
    const secret = randomSecret(16);
    const now = isoAt(this.clock.now());
    const row: ApiKeysTable = {
      sid: this.ids.next("SK"),
      account_sid: accountSid,
      friendly_name: friendlyName,
      secret_hash: hashSecret(secret),
      date_created: now,
      date_updated: now,
    };
    await this.database.transaction(async (tx) => {
      await tx.db.insertInto("api_keys").values(row).execute();
      await this.events.append(tx, accountSid, [
        {
          eventType: "api-key.created",
          resourceType: "api-key",
          resourceSid: row.sid,
          description: `API key ${row.sid} created`,
          data: { FriendlyName: friendlyName },
        },
      ]);
    });
    return { ...toKey(row), secret };
  }

  async get(accountSid: string, sid: string): Promise<ApiKey | undefined> {
    const row = await this.database.db
      .selectFrom("api_keys")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && toKey(row);
  }

  async list(accountSid: string, request: PageRequest): Promise<Page<ApiKey>> {
    const query = this.database.db.selectFrom("api_keys").selectAll().where("account_sid", "=", accountSid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toKey), request, creationKey);
  }

  async update(
    accountSid: string,
    sid: string,
    changes: { friendlyName?: string },
  ): Promise<ApiKey | undefined> {
    return this.database.transaction(async (tx) => {
      const now = isoAt(this.clock.now());
      const row = await tx.db
        .updateTable("api_keys")
        .set({
          ...(changes.friendlyName !== undefined && { friendly_name: changes.friendlyName }),
          date_updated: now,
        })
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await this.events.append(tx, accountSid, [
        {
          eventType: "api-key.updated",
          resourceType: "api-key",
          resourceSid: sid,
          description: `API key ${sid} updated`,
          data: { FriendlyName: row.friendly_name },
        },
      ]);
      return toKey(row);
    });
  }

  /** True when the key existed; it stops authenticating at once. */
  async remove(accountSid: string, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const result = await tx.db
        .deleteFrom("api_keys")
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await this.events.append(tx, accountSid, [
        {
          eventType: "api-key.deleted",
          resourceType: "api-key",
          resourceSid: sid,
          description: `API key ${sid} deleted`,
        },
      ]);
      return true;
    });
  }

  /** The key's account when `secret` is right; the lookup is by SID, the comparison is of hashes. */
  async verify(sid: string, secret: string): Promise<string | undefined> {
    const row = await this.database.db
      .selectFrom("api_keys")
      .select(["account_sid", "secret_hash"])
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && sameSecret(row.secret_hash, hashSecret(secret)) ? row.account_sid : undefined;
  }
}

function toKey(row: ApiKeysTable): ApiKey {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    friendlyName: row.friendly_name,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}
