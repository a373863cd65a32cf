import { createHmac } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database } from "../platform/db/database.ts";
import type { BindingType, MessagingProvidersTable, ProviderType } from "../platform/db/schema.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import type { SecretBox } from "../platform/secrets/secret-box.ts";
import { isoAt } from "../platform/time.ts";

/**
 * Settings of a provider that are not secret. Every type names its login `username` (an upstream
 * account SID, an SMPP system_id) and keeps its password in the encrypted secret.
 * - `twilio`: an HTTP API shaped like Twilio's Messages resource at `base_url`;
 * - `smpp`: an SMSC at `host`:`port`, bound as `username` with `system_type`;
 * - `smtp`: a mail relay at `host`:`port` (TLS from the start when `secure`, else STARTTLS when offered);
 * - `whatsapp`: a WhatsApp Business number on Meta's Cloud API, `username` its phone number ID;
 * - `messenger`: a Facebook Page on Meta's Messenger Platform, `username` the page ID; with
 *   `human_agent` the page may answer for 7 days with the HUMAN_AGENT tag, not only 24 hours.
 * Both Meta types talk to the Graph API at `base_url` with the password as access token.
 */
export interface ProviderSettings {
  username: string;
  base_url?: string;
  host?: string;
  port?: number;
  system_type?: string;
  secure?: boolean;
  human_agent?: boolean;
}

export interface Provider {
  sid: string;
  account_sid: string;
  type: ProviderType;
  friendly_name: string;
  /** Our addresses it sends from; empty: any address no other provider of the account claims. */
  addresses: string[];
  settings: ProviderSettings;
  date_created: string;
  date_updated: string;
}

export interface ProviderInput {
  type: ProviderType;
  friendlyName: string;
  addresses: string[];
  settings: ProviderSettings;
  password: string;
  /** What the provider signs its webhooks with, when not the password (Meta's app secret). */
  webhookSecret?: string;
}

export type ProviderChanges = Partial<Omit<ProviderInput, "type">>;

/** A provider with its secrets opened: only for talking to it or checking its webhooks. */
export interface ProviderWithSecrets {
  provider: Provider;
  password: string;
  /** The secret its webhooks are signed with: the webhook secret if it has one, else the password. */
  webhookSecret: string;
}

/**
 * The accounts' messaging providers. Passwords are sealed with the server's key and opened only to
 * talk to the provider; nothing here ever returns one to an API caller.
 */
export class ProviderStore {
  /** Emits "changed" with the provider's SID after it was created, changed or removed in this process. */
  readonly changes = new EventEmitter();
  private readonly verifyTokenKey: Uint8Array;

  constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {
    this.verifyTokenKey = secrets.derive("meta-verify-token");
  }

  async create(accountSid: string, input: ProviderInput): Promise<Provider> {
    const now = isoAt(this.clock.now());
    const row: MessagingProvidersTable = {
      sid: this.ids.next("XP"),
      account_sid: accountSid,
      type: input.type,
      friendly_name: input.friendlyName,
      addresses: JSON.stringify(input.addresses),
      settings: JSON.stringify(input.settings),
      secret_ciphertext: this.secrets.seal(input.password),
      webhook_secret_ciphertext:
        input.webhookSecret === undefined ? null : this.secrets.seal(input.webhookSecret),
      date_created: now,
      date_updated: now,
    };
    await this.database.db.insertInto("messaging_providers").values(row).execute();
    this.changes.emit("changed", row.sid);
    return toProvider(row);
  }

  async get(accountSid: string, sid: string): Promise<Provider | undefined> {
    const row = await this.row(accountSid, sid);
    return row && toProvider(row);
  }

  /** A provider by SID alone, with its secrets: for webhooks from providers, which name it in their URL. */
  async withSecrets(sid: string): Promise<ProviderWithSecrets | undefined> {
    const row = await this.database.db
      .selectFrom("messaging_providers")
      .selectAll()
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && this.opened(row);
  }

  /**
   * What Meta's webhook handshake must present for this provider. Derived from the server's key, so
   * nothing is stored and an operator copies it from the provider resource into Meta's dashboard.
   */
  verifyToken(sid: string): string {
    return createHmac("sha256", this.verifyTokenKey).update(sid).digest("base64url").slice(0, 32);
  }

  async list(accountSid: string, request: PageRequest): Promise<Page<Provider>> {
    const query = this.database.db
      .selectFrom("messaging_providers")
      .selectAll()
      .where("account_sid", "=", accountSid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toProvider), request, rowCreationKey);
  }

  /** Every provider of these accounts, oldest first: enough to choose one. */
  async ofAccounts(accountSids: string[]): Promise<Provider[]> {
    return (await this.rowsOf(accountSids)).map(toProvider);
  }

  /** The same, with secrets opened: what the sender needs for one batch. */
  async withPasswords(accountSids: string[]): Promise<ProviderWithSecrets[]> {
    return (await this.rowsOf(accountSids)).map((row) => this.opened(row));
  }

  /** Every provider of a type, across accounts: connections kept open (SMPP binds). */
  async ofType(type: ProviderType): Promise<ProviderWithSecrets[]> {
    const rows = await this.database.db
      .selectFrom("messaging_providers")
      .selectAll()
      .where("type", "=", type)
      .execute();
    return rows.map((row) => this.opened(row));
  }

  async update(accountSid: string, sid: string, changes: ProviderChanges): Promise<Provider | undefined> {
    const current = await this.row(accountSid, sid);
    if (!current) return undefined;
    const row = await this.database.db
      .updateTable("messaging_providers")
      .set({
        ...(changes.friendlyName !== undefined && { friendly_name: changes.friendlyName }),
        ...(changes.addresses !== undefined && { addresses: JSON.stringify(changes.addresses) }),
        ...(changes.settings !== undefined && {
          settings: JSON.stringify({ ...(JSON.parse(current.settings) as object), ...changes.settings }),
        }),
        ...(changes.password !== undefined && { secret_ciphertext: this.secrets.seal(changes.password) }),
        ...(changes.webhookSecret !== undefined && {
          webhook_secret_ciphertext: this.secrets.seal(changes.webhookSecret),
        }),
        date_updated: isoAt(this.clock.now()),
      })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .returningAll()
      .executeTakeFirst();
    if (row) this.changes.emit("changed", sid);
    return row && toProvider(row);
  }

  async remove(accountSid: string, sid: string): Promise<boolean> {
    const row = await this.database.db
      .deleteFrom("messaging_providers")
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .returning("sid")
      .executeTakeFirst();
    if (row) this.changes.emit("changed", sid);
    return row !== undefined;
  }

  private opened(row: MessagingProvidersTable): ProviderWithSecrets {
    const password = this.secrets.open(row.secret_ciphertext);
    return {
      provider: toProvider(row),
      password,
      webhookSecret:
        row.webhook_secret_ciphertext === null ? password : this.secrets.open(row.webhook_secret_ciphertext),
    };
  }

  private async rowsOf(accountSids: string[]): Promise<MessagingProvidersTable[]> {
    if (accountSids.length === 0) return [];
    return this.database.db
      .selectFrom("messaging_providers")
      .selectAll()
      .where("account_sid", "in", accountSids)
      .orderBy("date_created")
      .orderBy("sid")
      .execute();
  }

  private row(accountSid: string, sid: string) {
    return this.database.db
      .selectFrom("messaging_providers")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }
}

/** The channels each type of provider carries. */
const CHANNELS_OF: Record<ProviderType, BindingType[]> = {
  twilio: ["sms", "whatsapp", "messenger"],
  smpp: ["sms"],
  smtp: ["email"],
  whatsapp: ["whatsapp"],
  messenger: ["messenger"],
};

/** Whether a provider takes media URLs with a message (SMPP carries text; Meta's APIs here, text). */
export function carriesMedia(provider: Provider): boolean {
  return provider.type === "twilio";
}

/**
 * The provider a message on `channel` from `from` goes out through: among the account's providers
 * of that channel, the one that lists the address, else the oldest that lists none. Providers are
 * given oldest first.
 */
export function providerFor<T extends Provider | { provider: Provider }>(
  providers: T[],
  accountSid: string,
  channel: BindingType,
  from: string,
): T | undefined {
  const of = (p: T): Provider => ("provider" in p ? p.provider : p);
  const own = providers.filter(
    (p) => of(p).account_sid === accountSid && CHANNELS_OF[of(p).type].includes(channel),
  );
  return own.find((p) => of(p).addresses.includes(from)) ?? own.find((p) => of(p).addresses.length === 0);
}

function toProvider(row: MessagingProvidersTable): Provider {
  const { secret_ciphertext: _sealed, webhook_secret_ciphertext: _sealedToo, ...rest } = row;
  return {
    ...rest,
    addresses: JSON.parse(row.addresses) as string[],
    settings: JSON.parse(row.settings) as ProviderSettings,
  };
}
