import type { Clock, SidGenerator } from "@switchboard/engine";
import { isUniqueViolation, type Database, type Tx } from "../platform/db/database.ts";
import type { AddressType, ConversationAddressesTable } from "../platform/db/schema.ts";
import { conflict } from "../platform/errors.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";

/**
 * What happens when someone with no open conversation writes to the address, in Twilio's wire
 * shape. `type` says what is attached to the new conversation: `webhook` a conversation-scoped
 * webhook (webhook_url, webhook_filters), `studio` a flow, `default` nothing. Switchboard adds a
 * binding straight to a TaskRouter workflow: with `workflow_sid` set, each new conversation becomes
 * a task carrying it, on `task_channel`.
 */
export interface AutoCreation {
  enabled: boolean;
  type: "webhook" | "studio" | "default";
  conversation_service_sid: string | null;
  webhook_url: string | null;
  webhook_method: "POST" | null;
  webhook_filters: string[];
  studio_flow_sid: string | null;
  studio_retry_count: number | null;
  workspace_sid: string | null;
  workflow_sid: string | null;
  task_channel: string | null;
}

/** Auto-creation settings with everything not given unset: on, type `default`, no workflow. */
export function autoCreation(given: Partial<AutoCreation>): AutoCreation {
  return {
    enabled: true,
    type: "default",
    conversation_service_sid: null,
    webhook_url: null,
    webhook_method: null,
    webhook_filters: [],
    studio_flow_sid: null,
    studio_retry_count: null,
    workspace_sid: null,
    workflow_sid: null,
    task_channel: null,
    ...given,
  };
}

export type Address = Omit<ConversationAddressesTable, "auto_creation"> & { auto_creation: AutoCreation };

export interface AddressInput {
  type: AddressType;
  address: string;
  friendlyName?: string;
  autoCreation: AutoCreation;
  addressCountry?: string;
}

export const duplicateAddress = (type: string, address: string) =>
  conflict(`An address configuration for ${type} address ${address} already exists`);

/** Address configurations, scoped by account. */
export class AddressStore {
  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async create(accountSid: string, input: AddressInput): Promise<Address> {
    const now = isoAt(this.clock.now());
    const row: ConversationAddressesTable = {
      sid: this.ids.next("IG"),
      account_sid: accountSid,
      type: input.type,
      address: input.address,
      friendly_name: input.friendlyName ?? null,
      auto_creation: JSON.stringify(input.autoCreation),
      address_country: input.addressCountry ?? null,
      date_created: now,
      date_updated: now,
    };
    try {
      await this.database.db.insertInto("conversation_addresses").values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateAddress(input.type, input.address);
      throw error;
    }
    return toAddress(row);
  }

  async get(accountSid: string, sid: string): Promise<Address | undefined> {
    const row = await this.database.db
      .selectFrom("conversation_addresses")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && toAddress(row);
  }

  /** The configuration of one of our addresses on a channel: where inbound routing starts. */
  async find(
    accountSid: string,
    type: AddressType,
    address: string,
    db: Database["db"] | Tx["db"] = this.database.db,
  ): Promise<Address | undefined> {
    const row = await db
      .selectFrom("conversation_addresses")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("type", "=", type)
      .where("address", "=", address)
      .executeTakeFirst();
    return row && toAddress(row);
  }

  /** Every account's configuration of an address (case-insensitive): where mail to it belongs. */
  async everywhere(type: AddressType, address: string): Promise<Address[]> {
    const rows = await this.database.db
      .selectFrom("conversation_addresses")
      .selectAll()
      .where("type", "=", type)
      .where((eb) => eb(eb.fn("lower", ["address"]), "=", address.toLowerCase()))
      .execute();
    return rows.map(toAddress);
  }

  async list(
    accountSid: string,
    type: AddressType | undefined,
    request: PageRequest,
  ): Promise<Page<Address>> {
    let query = this.database.db
      .selectFrom("conversation_addresses")
      .selectAll()
      .where("account_sid", "=", accountSid);
    if (type) query = query.where("type", "=", type);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toAddress), request, rowCreationKey);
  }

  async update(
    accountSid: string,
    sid: string,
    changes: { friendlyName?: string; autoCreation?: AutoCreation },
  ): Promise<Address | undefined> {
    const row = await this.database.db
      .updateTable("conversation_addresses")
      .set({
        ...(changes.friendlyName !== undefined && { friendly_name: changes.friendlyName }),
        ...(changes.autoCreation !== undefined && { auto_creation: JSON.stringify(changes.autoCreation) }),
        date_updated: isoAt(this.clock.now()),
      })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .returningAll()
      .executeTakeFirst();
    return row && toAddress(row);
  }

  async remove(accountSid: string, sid: string): Promise<boolean> {
    const row = await this.database.db
      .deleteFrom("conversation_addresses")
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .returning("sid")
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toAddress(row: ConversationAddressesTable): Address {
  return { ...row, auto_creation: JSON.parse(row.auto_creation) as AutoCreation };
}
