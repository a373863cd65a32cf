import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database } from "../platform/db/database.ts";
import type {
  AttemptOutcome,
  DeliveryStatus,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
  WebhookStatus,
} from "../platform/db/schema.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { byCreation, creationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";

export interface Webhook {
  sid: string;
  accountSid: string;
  friendlyName: string;
  url: string;
  /** Empty: every event type. */
  eventTypes: string[];
  status: WebhookStatus;
  dateCreated: string;
  dateUpdated: string;
}

export interface Delivery {
  sid: string;
  accountSid: string;
  webhookSid: string;
  eventSid: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  dateDelivered: string | null;
  dateCreated: string;
  dateUpdated: string;
}

export interface Attempt {
  sid: string;
  accountSid: string;
  deliverySid: string;
  attemptNumber: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
  dateCreated: string;
  dateUpdated: string;
}

/** A delivery leased to one process for one attempt. */
export interface Claim {
  delivery: Delivery;
  attemptSid: string;
  eventSeq: number;
}

/**
 * A subscription kept elsewhere than the webhooks table (a TaskRouter workspace's EventCallbackUrl):
 * its deliveries go through the same outbox, keyed by the owning resource's SID.
 */
export interface ExternalSubscription {
  sid: string;
  accountSid: string;
  url: string;
  /** Empty: every event type. */
  eventTypes: string[];
  /** Only events scoped to this resource (`scope_sid`). */
  scopeSid: string;
  dateCreated: string;
  /** A further test on each event of the chosen types (a keyword trigger on a message's body). */
  accepts?: (event: StoredEvent) => boolean;
  /**
   * Deliver in event order: each delivery waits until the subscription's earlier ones have been
   * delivered or given up on. For subscriptions whose events a receiver reads as a sequence and that
   * see few of them (a message's statuses); a busy one would go at the pace of one request at a time.
   */
  ordered?: boolean;
}

/** The subscriptions a part keeps for a batch of events about to be fanned out. */
export type SubscriptionSource = (
  events: StoredEvent[],
  accountSids: string[],
) => ExternalSubscription[] | Promise<ExternalSubscription[]>;

export interface WebhookInput {
  url: string;
  friendlyName: string;
  eventTypes: string[];
  status: WebhookStatus;
}

/** An attempt's result, as the dispatcher saw it. */
export type AttemptResult =
  | { ok: true; statusCode: number; durationMs: number }
  | { ok: false; statusCode: number | null; error: string; durationMs: number; retryAt: number | undefined };

/**
 * Webhook subscriptions, their deliveries (one per event and subscription) and each delivery's
 * attempts. Every query is scoped by account except the dispatcher's, which works for all accounts.
 */
export class WebhookStore {
  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    /** Subscriptions other parts keep (workspace event callbacks), asked at each fan-out. */
    private readonly externalSubscriptions: SubscriptionSource = () => [],
  ) {}

  async create(accountSid: string, input: WebhookInput): Promise<Webhook> {
    const now = isoAt(this.clock.now());
    const row: WebhooksTable = {
      sid: this.ids.next("WH"),
      account_sid: accountSid,
      friendly_name: input.friendlyName,
      url: input.url,
      event_types: JSON.stringify(input.eventTypes),
      status: input.status,
      date_created: now,
      date_updated: now,
    };
    await this.database.transaction(async (tx) => {
      await tx.db.insertInto("webhooks").values(row).execute();
      await this.events.append(tx, accountSid, [webhookEvent("webhook.created", row)]);
    });
    return toWebhook(row);
  }

  async get(accountSid: string, sid: string): Promise<Webhook | undefined> {
    const row = await this.database.db
      .selectFrom("webhooks")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && toWebhook(row);
  }

  async list(accountSid: string, request: PageRequest): Promise<Page<Webhook>> {
    const query = this.database.db.selectFrom("webhooks").selectAll().where("account_sid", "=", accountSid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toWebhook), request, creationKey);
  }

  async update(
    accountSid: string,
    sid: string,
    changes: Partial<WebhookInput>,
  ): Promise<Webhook | undefined> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .updateTable("webhooks")
        .set({
          ...(changes.url !== undefined && { url: changes.url }),
          ...(changes.friendlyName !== undefined && { friendly_name: changes.friendlyName }),
          ...(changes.eventTypes !== undefined && { event_types: JSON.stringify(changes.eventTypes) }),
          ...(changes.status !== undefined && { status: changes.status }),
          date_updated: isoAt(this.clock.now()),
        })
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (row) await this.events.append(tx, accountSid, [webhookEvent("webhook.updated", row)]);
      return row && toWebhook(row);
    });
  }

  /** Removes the subscription with its deliveries and their attempts: nothing more is sent to it. */
  async remove(accountSid: string, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .deleteFrom("webhooks")
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (!row) return false;
      const deliveries = tx.db
        .selectFrom("webhook_deliveries")
        .select("sid")
        .where("account_sid", "=", accountSid)
        .where("webhook_sid", "=", sid);
      await tx.db
        .deleteFrom("webhook_attempts")
        .where("account_sid", "=", accountSid)
        .where("delivery_sid", "in", deliveries)
        .execute();
      await tx.db
        .deleteFrom("webhook_deliveries")
        .where("account_sid", "=", accountSid)
        .where("webhook_sid", "=", sid)
        .execute();
      await this.events.append(tx, accountSid, [webhookEvent("webhook.deleted", row)]);
      return true;
    });
  }

  /**
   * Turns a batch of events into deliveries for the active subscriptions that want them, and moves
   * the fan-out cursor past the batch, in one transaction. A batch no one subscribes to writes
   * nothing (the caller moves the cursor when it sees fit). A subscription receives events logged
   * from its creation on. Re-running a batch (after a crash) adds nothing: one delivery per
   * (webhook, event) is a unique constraint.
   */
  async fanOut(events: StoredEvent[], advanceCursor: (db: Database["db"]) => Promise<void>): Promise<number> {
    const accountSids = [...new Set(events.map((e) => e.accountSid))];
    const subscriptions: Array<Omit<ExternalSubscription, "scopeSid"> & { scopeSid?: string }> = [
      ...(accountSids.length
        ? (
            await this.database.db
              .selectFrom("webhooks")
              .selectAll()
              .where("account_sid", "in", accountSids)
              .where("status", "=", "active")
              .execute()
          ).map(toWebhook)
        : []),
      ...(await this.externalSubscriptions(events, accountSids)),
    ];
    const now = isoAt(this.clock.now());
    const rows: WebhookDeliveriesTable[] = [];
    for (const event of events) {
      for (const webhook of subscriptions) {
        if (webhook.accountSid !== event.accountSid || event.dateCreated < webhook.dateCreated) continue;
        if (webhook.scopeSid !== undefined && webhook.scopeSid !== event.scopeSid) continue;
        if (webhook.eventTypes.length > 0 && !webhook.eventTypes.includes(event.eventType)) continue;
        if (webhook.accepts && !webhook.accepts(event)) continue;
        rows.push({
          sid: this.ids.next("DL"),
          account_sid: event.accountSid,
          webhook_sid: webhook.sid,
          event_sid: event.sid,
          event_seq: event.seq,
          url: webhook.url,
          status: "queued",
          attempts: 0,
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          ordered: webhook.ordered ? 1 : 0,
          last_status_code: null,
          last_error: null,
          date_delivered: null,
          date_created: now,
          date_updated: now,
        });
      }
    }
    if (rows.length === 0) return 0;
    await this.database.transaction(async (tx) => {
      // Chunked to stay under SQLite's bound-parameter limit.
      for (let i = 0; i < rows.length; i += 200) {
        await tx.db
          .insertInto("webhook_deliveries")
          .values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(["webhook_sid", "event_sid"]).doNothing())
          .execute();
      }
      await advanceCursor(tx.db);
    });
    return rows.length;
  }

  /**
   * Leases up to `limit` due deliveries to `owner` and opens an attempt for each. A delivery whose
   * earlier lease ran out (its process died mid-attempt) is due again; that attempt is recorded as
   * interrupted. On Postgres, SKIP LOCKED lets several nodes claim side by side without overlap.
   */
  async claimDue(owner: string, limit: number, leaseMs: number): Promise<Claim[]> {
    const nowMs = this.clock.now();
    const now = isoAt(nowMs);
    const leaseUntil = isoAt(nowMs + leaseMs);
    return this.database.transaction(async (tx) => {
      let query = tx.db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("status", "in", ["queued", "retrying"])
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", now)]))
        // Deliveries claimed together are attempted side by side; an ordered subscription's (a message's
        // statuses) waits until every earlier one of it has been delivered or given up on.
        .where((eb) =>
          eb.or([
            eb("ordered", "=", 0),
            eb.not(
              eb.exists(
                eb
                  .selectFrom("webhook_deliveries as earlier")
                  .select("earlier.sid")
                  .whereRef("earlier.account_sid", "=", "webhook_deliveries.account_sid")
                  .whereRef("earlier.webhook_sid", "=", "webhook_deliveries.webhook_sid")
                  .whereRef("earlier.event_seq", "<", "webhook_deliveries.event_seq")
                  .where("earlier.status", "in", ["queued", "retrying"]),
              ),
            ),
          ]),
        )
        .orderBy("next_attempt_at")
        .orderBy("event_seq")
        .limit(limit);
      if (this.database.dialect === "postgres") query = query.forUpdate().skipLocked();
      const due = await query.execute();
      const claims: Claim[] = [];
      for (const row of due) {
        if (row.lease_owner !== null) {
          await tx.db
            .updateTable("webhook_attempts")
            .set({ outcome: "interrupted", error: "the process sending it stopped", date_updated: now })
            .where("account_sid", "=", row.account_sid)
            .where("delivery_sid", "=", row.sid)
            .where("outcome", "=", "in_progress")
            .execute();
        }
        const attempts = row.attempts + 1;
        await tx.db
          .updateTable("webhook_deliveries")
          .set({ attempts, lease_owner: owner, lease_expires_at: leaseUntil, date_updated: now })
          .where("sid", "=", row.sid)
          .execute();
        const attemptSid = this.ids.next("DA");
        await tx.db
          .insertInto("webhook_attempts")
          .values({
            sid: attemptSid,
            account_sid: row.account_sid,
            delivery_sid: row.sid,
            attempt_number: attempts,
            outcome: "in_progress",
            status_code: null,
            error: null,
            duration_ms: null,
            date_created: now,
            date_updated: now,
          })
          .execute();
        claims.push({
          delivery: toDelivery({ ...row, attempts }),
          attemptSid,
          eventSeq: Number(row.event_seq),
        });
      }
      return claims;
    });
  }

  /**
   * Records how an attempt went and what happens next: delivered, another attempt at `retryAt`, or
   * dead when `retryAt` is undefined. Returns the delivery's new status.
   */
  async finishAttempt(owner: string, claim: Claim, result: AttemptResult): Promise<DeliveryStatus> {
    const now = isoAt(this.clock.now());
    const { sid, accountSid } = claim.delivery;
    return this.database.transaction(async (tx) => {
      await tx.db
        .updateTable("webhook_attempts")
        .set({
          outcome: result.ok ? "succeeded" : "failed",
          status_code: result.statusCode,
          error: result.ok ? null : result.error,
          duration_ms: Math.round(result.durationMs),
          date_updated: now,
        })
        .where("account_sid", "=", accountSid)
        .where("sid", "=", claim.attemptSid)
        .execute();
      if (result.ok) {
        // Delivered is final whoever holds the lease now: a receiver has the event.
        await tx.db
          .updateTable("webhook_deliveries")
          .set({
            status: "delivered",
            lease_owner: null,
            lease_expires_at: null,
            last_status_code: result.statusCode,
            last_error: null,
            date_delivered: now,
            date_updated: now,
          })
          .where("account_sid", "=", accountSid)
          .where("sid", "=", sid)
          .execute();
        return "delivered";
      }
      const status: DeliveryStatus = result.retryAt === undefined ? "dead" : "retrying";
      await tx.db
        .updateTable("webhook_deliveries")
        .set({
          status,
          next_attempt_at: result.retryAt === undefined ? now : isoAt(result.retryAt),
          lease_owner: null,
          lease_expires_at: null,
          last_status_code: result.statusCode,
          last_error: result.error,
          date_updated: now,
        })
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        // A process whose lease ran out must not overwrite the attempt that replaced it.
        .where("lease_owner", "=", owner)
        .where("status", "!=", "delivered")
        .execute();
      return status;
    });
  }

  async listDeliveries(
    accountSid: string,
    webhookSid: string,
    status: DeliveryStatus | undefined,
    request: PageRequest,
  ): Promise<Page<Delivery>> {
    let query = this.database.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("webhook_sid", "=", webhookSid);
    if (status) query = query.where("status", "=", status);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toDelivery), request, creationKey);
  }

  /**
   * Sends a delivery's event again now (an admin's replay after fixing their endpoint): the delivery
   * is due at once and keeps its attempt log. One being sent right now is left alone (undefined).
   */
  async replay(accountSid: string, webhookSid: string, sid: string): Promise<Delivery | undefined> {
    const now = isoAt(this.clock.now());
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .updateTable("webhook_deliveries")
        .set({
          status: "queued",
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          date_updated: now,
        })
        .where("account_sid", "=", accountSid)
        .where("webhook_sid", "=", webhookSid)
        .where("sid", "=", sid)
        .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", now)]))
        .returningAll()
        .executeTakeFirst();
      return row && toDelivery(row);
    });
  }

  async getDelivery(accountSid: string, webhookSid: string, sid: string): Promise<Delivery | undefined> {
    const row = await this.database.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("webhook_sid", "=", webhookSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  async listAttempts(accountSid: string, deliverySid: string, request: PageRequest): Promise<Page<Attempt>> {
    const query = this.database.db
      .selectFrom("webhook_attempts")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("delivery_sid", "=", deliverySid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows.map(toAttempt), request, creationKey);
  }
}

function webhookEvent(eventType: string, row: WebhooksTable) {
  return {
    eventType,
    resourceType: "webhook",
    resourceSid: row.sid,
    description: `Webhook ${row.sid} ${eventType.split(".")[1]}`,
    data: { WebhookUrl: row.url, WebhookStatus: row.status },
  };
}

function toWebhook(row: WebhooksTable): Webhook {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    friendlyName: row.friendly_name,
    url: row.url,
    eventTypes: JSON.parse(row.event_types) as string[],
    status: row.status,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}

function toDelivery(row: WebhookDeliveriesTable): Delivery {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    webhookSid: row.webhook_sid,
    eventSid: row.event_sid,
    url: row.url,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    dateDelivered: row.date_delivered,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}

function toAttempt(row: WebhookAttemptsTable): Attempt {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    deliverySid: row.delivery_sid,
    attemptNumber: row.attempt_number,
    outcome: row.outcome,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}
