import { EventEmitter } from "node:events";
import type { Clock, SidGenerator } from "@switchboard/engine";
import { sql } from "kysely";
import { maskCardNumbers } from "../conversations/card-numbers.ts";
import { isUniqueViolation, type Database, type Tx } from "../platform/db/database.ts";
import type {
  BindingType,
  ChannelMessageDirection,
  ChannelMessagesTable,
  ChannelMessageStatus,
} from "../platform/db/schema.ts";
import type { EventDraft, EventLog } from "../platform/events/event-log.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";
import { countSegments } from "./segments.ts";

export type ChannelMessage = ChannelMessagesTable;

/** A message to send. */
export interface OutboundDraft {
  providerSid: string | null;
  channel: BindingType;
  direction: Exclude<ChannelMessageDirection, "inbound">;
  from: string;
  to: string;
  body: string | null;
  mediaUrls?: string[];
  statusCallback?: string;
  /** Not before this instant (epoch ms): a scheduled message. */
  sendAt?: number;
  /** Set when this delivers a conversation message to one of its messaging participants. */
  delivery?: { conversationSid: string; messageSid: string; participantSid: string };
}

/** A message a provider brought in. */
export interface InboundDraft {
  providerSid: string;
  channel: BindingType;
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  /** The provider's ID for it: a redelivery with the same ID is recognised. */
  providerMessageId: string;
}

/** What one send attempt came to. */
export type AttemptOutcome =
  | { kind: "accepted"; providerSid: string; providerMessageId: string }
  | { kind: "retry"; at: number; code: number; reason: string }
  | { kind: "failed"; code: number; reason: string };

export interface MessageFilter {
  to?: string;
  from?: string;
  /** Inclusive ISO bounds on date_sent. */
  sentAfter?: string;
  sentBefore?: string;
}

export interface DeliverySummary {
  total: number;
  sent: string;
  delivered: string;
  read: string;
  failed: string;
  undelivered: string;
}

/**
 * How far along a message is. A status report never moves a message back (a late `sent` after
 * `delivered` is dropped), and nothing moves a message out of a final state except a later `read`.
 */
const PROGRESS: Record<ChannelMessageStatus, number> = {
  scheduled: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  canceled: 3,
  received: 3,
  read: 4,
};

/** An arbitrary constant naming the Postgres advisory locks (one per provider message ID) of reports. */
const REPORT_LOCK = 5_182_907;

/** How long a report that overtook its send's outcome waits for it. */
const EARLY_REPORT_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Statuses a provider may report for an outbound message. */
export type ReportedStatus = "sent" | "delivered" | "undelivered" | "failed" | "read";

/**
 * Messages that cross a provider, in or out (the 2010-04-01 Message resource). An outbound message is
 * written, with its `queued` event, before any attempt to send it; the sender leases it for each
 * attempt and records the outcome, so a crash at any point leaves it queued or leased, never lost.
 * Each status change appends `message.status` (the StatusCallback's parameters) and, for a delivery
 * of a conversation message, the conversation's `onDeliveryUpdated`, in the same transaction.
 */
export class MessageStore {
  /** Emits "queued" after a commit that queued messages in this process: the sender's cue. */
  readonly queued = new EventEmitter();

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async send(accountSid: string, draft: OutboundDraft): Promise<ChannelMessage> {
    const [row] = await this.database.transaction((tx) => this.queue(tx, accountSid, [draft]));
    return row!;
  }

  /** Queues messages inside the caller's transaction. */
  async queue(tx: Tx, accountSid: string, drafts: OutboundDraft[]): Promise<ChannelMessage[]> {
    if (drafts.length === 0) return [];
    const now = this.clock.now();
    const rows = drafts.map((draft): ChannelMessage => {
      const body = draft.body === null ? null : maskCardNumbers(draft.body);
      const scheduled = draft.sendAt !== undefined && draft.sendAt > now;
      return {
        sid: this.ids.next("SM"),
        account_sid: accountSid,
        provider_sid: draft.providerSid,
        channel: draft.channel,
        direction: draft.direction,
        from_address: draft.from,
        to_address: draft.to,
        body,
        media_urls: JSON.stringify(draft.mediaUrls ?? []),
        num_segments: draft.channel === "sms" ? countSegments(body ?? "").segments : 1,
        status: scheduled ? "scheduled" : "queued",
        error_code: null,
        error_message: null,
        provider_message_id: null,
        status_callback: draft.statusCallback ?? null,
        attempts: 0,
        next_attempt_at: isoAt(scheduled ? draft.sendAt! : now),
        conversation_sid: draft.delivery?.conversationSid ?? null,
        message_sid: draft.delivery?.messageSid ?? null,
        participant_sid: draft.delivery?.participantSid ?? null,
        receipt_sid: draft.delivery ? this.ids.next("DY") : null,
        date_created: isoAt(now),
        date_updated: isoAt(now),
        date_sent: null,
      };
    });
    for (let i = 0; i < rows.length; i += 100)
      await tx.db
        .insertInto("channel_messages")
        .values(rows.slice(i, i + 100))
        .execute();
    await this.events.append(
      tx,
      accountSid,
      rows.map((row) => statusDraft(row)),
    );
    tx.afterCommit(() => this.queued.emit("queued"));
    return rows;
  }

  /** Records an inbound message once; a redelivery returns the first one. */
  async receive(
    accountSid: string,
    draft: InboundDraft,
  ): Promise<{ message: ChannelMessage; duplicate: boolean }> {
    const now = isoAt(this.clock.now());
    const body = maskCardNumbers(draft.body);
    const row: ChannelMessage = {
      sid: this.ids.next("SM"),
      account_sid: accountSid,
      provider_sid: draft.providerSid,
      channel: draft.channel,
      direction: "inbound",
      from_address: draft.from,
      to_address: draft.to,
      body,
      media_urls: JSON.stringify(draft.mediaUrls ?? []),
      num_segments: draft.channel === "sms" ? countSegments(body).segments : 1,
      status: "received",
      error_code: null,
      error_message: null,
      provider_message_id: draft.providerMessageId,
      status_callback: null,
      attempts: 0,
      next_attempt_at: null,
      conversation_sid: null,
      message_sid: null,
      participant_sid: null,
      receipt_sid: null,
      date_created: now,
      date_updated: now,
      date_sent: now,
    };
    try {
      await this.database.transaction(async (tx) => {
        await tx.db.insertInto("channel_messages").values(row).execute();
        await this.events.append(tx, accountSid, [statusDraft(row)]);
      });
      return { message: row, duplicate: false };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const first = await this.database.db
        .selectFrom("channel_messages")
        .selectAll()
        .where("provider_sid", "=", draft.providerSid)
        .where("provider_message_id", "=", draft.providerMessageId)
        .executeTakeFirstOrThrow();
      return { message: first, duplicate: true };
    }
  }

  /**
   * Leases up to `limit` messages due for an attempt: each becomes `sending` until `leaseMs` from now,
   * when, if its outcome was never recorded (the process died mid-attempt), it is due again. The
   * re-check of `next_attempt_at` in the update keeps two senders from leasing the same message.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ChannelMessage[]> {
    const now = this.clock.now();
    return this.database.transaction(async (tx) => {
      const due = await tx.db
        .selectFrom("channel_messages")
        .select("sid")
        .where("next_attempt_at", "is not", null)
        .where("next_attempt_at", "<=", isoAt(now))
        .orderBy("next_attempt_at")
        .limit(limit)
        .execute();
      if (due.length === 0) return [];
      const leased = await tx.db
        .updateTable("channel_messages")
        .set({
          status: "sending",
          attempts: sql<number>`attempts + 1`,
          next_attempt_at: isoAt(now + leaseMs),
          date_updated: isoAt(now),
        })
        .where(
          "sid",
          "in",
          due.map((row) => row.sid),
        )
        .where("next_attempt_at", "<=", isoAt(now))
        .returningAll()
        .execute();
      return leased.sort((a, b) => a.date_created.localeCompare(b.date_created));
    });
  }

  /** Records the outcome of the attempt under way on a leased message. */
  async finishAttempt(message: ChannelMessage, outcome: AttemptOutcome): Promise<ChannelMessage | undefined> {
    const now = isoAt(this.clock.now());
    const change: Partial<ChannelMessage> =
      outcome.kind === "accepted"
        ? {
            status: "sent",
            provider_sid: outcome.providerSid,
            provider_message_id: outcome.providerMessageId,
            next_attempt_at: null,
            date_sent: now,
          }
        : outcome.kind === "retry"
          ? {
              status: "queued",
              next_attempt_at: isoAt(outcome.at),
              error_code: outcome.code,
              error_message: outcome.reason,
            }
          : {
              status: "failed",
              next_attempt_at: null,
              error_code: outcome.code,
              error_message: outcome.reason,
            };
    return this.database.transaction(async (tx) => {
      if (outcome.kind === "accepted")
        await this.lockReports(tx, outcome.providerSid, outcome.providerMessageId);
      const row = await tx.db
        .updateTable("channel_messages")
        .set({ ...change, date_updated: now })
        .where("sid", "=", message.sid)
        .where("status", "=", "sending")
        .returningAll()
        .executeTakeFirst();
      // A retry is still queued as far as anyone outside can tell: no event.
      if (row && outcome.kind !== "retry") await this.announce(tx, row);
      return row && outcome.kind === "accepted" ? this.applyEarlyReports(tx, row) : row;
    });
  }

  /**
   * A provider's report on a message it took (delivery receipt, status callback). A report can
   * overtake the provider's answer to the send (a receipt sent the instant the message went out):
   * one naming an ID no message has yet is kept, and applied when the send's outcome is recorded
   * (`finishAttempt`), so a report the provider was told we took is never dropped.
   */
  async report(
    providerSid: string,
    providerMessageId: string,
    status: ReportedStatus,
    error?: { code: number; reason: string },
  ): Promise<ChannelMessage | undefined> {
    return this.database.transaction(async (tx) => {
      await this.lockReports(tx, providerSid, providerMessageId);
      const current = await tx.db
        .selectFrom("channel_messages")
        .selectAll()
        .where("provider_sid", "=", providerSid)
        .where("provider_message_id", "=", providerMessageId)
        .executeTakeFirst();
      if (!current) {
        await this.keepEarly(tx, providerSid, providerMessageId, status, error);
        return undefined;
      }
      if (current.direction === "inbound") return undefined;
      return this.applyReport(tx, current, status, error);
    });
  }

  /**
   * Postgres: holds, until the transaction ends, the lock that orders a report on a provider's ID
   * with the recording of a send under that ID. Without it a report could find no message while the
   * send's outcome commits, and be kept after that outcome looked for kept reports. (SQLite runs one
   * writing transaction at a time already.)
   */
  private async lockReports(tx: Tx, providerSid: string, providerMessageId: string): Promise<void> {
    if (this.database.dialect !== "postgres") return;
    await sql`select pg_advisory_xact_lock(${sql.lit(REPORT_LOCK)}, hashtext(${`${providerSid} ${providerMessageId}`}))`.execute(
      tx.db,
    );
  }

  /** Keeps a report on an ID no message has yet, for `finishAttempt` to apply (see `report`). */
  private async keepEarly(
    tx: Tx,
    providerSid: string,
    providerMessageId: string,
    status: ReportedStatus,
    error: { code: number; reason: string } | undefined,
  ): Promise<void> {
    const now = this.clock.now();
    // Reports no send claims within a day never will be (the send was given up, or recorded under
    // another ID): they go as new ones come, which keeps the table as small as its live reports.
    await tx.db
      .deleteFrom("early_reports")
      .where("date_created", "<", isoAt(now - EARLY_REPORT_LIFETIME_MS))
      .execute();
    await tx.db
      .insertInto("early_reports")
      .values({
        provider_sid: providerSid,
        provider_message_id: providerMessageId,
        status,
        error_code: error?.code ?? null,
        error_message: error?.reason ?? null,
        date_created: isoAt(now),
      })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
  }

  /** Applies the reports kept for a send just recorded as taken, in the order a message goes through them. */
  private async applyEarlyReports(tx: Tx, row: ChannelMessage): Promise<ChannelMessage> {
    const kept = await tx.db
      .deleteFrom("early_reports")
      .where("provider_sid", "=", row.provider_sid!)
      .where("provider_message_id", "=", row.provider_message_id!)
      .returningAll()
      .execute();
    let current = row;
    for (const report of kept.sort((a, b) => PROGRESS[a.status] - PROGRESS[b.status]))
      current = await this.applyReport(
        tx,
        current,
        report.status,
        report.error_code === null
          ? undefined
          : { code: report.error_code, reason: report.error_message ?? "" },
      );
    return current;
  }

  /** Moves an outbound message on to a reported status, unless it is already as far along. */
  private async applyReport(
    tx: Tx,
    current: ChannelMessage,
    status: ReportedStatus,
    error: { code: number; reason: string } | undefined,
  ): Promise<ChannelMessage> {
    if (PROGRESS[status] <= PROGRESS[current.status]) return current;
    const failed = status === "failed" || status === "undelivered";
    const row = await tx.db
      .updateTable("channel_messages")
      .set({
        status,
        next_attempt_at: null,
        ...(failed && error && { error_code: error.code, error_message: error.reason }),
        ...(!failed && { error_code: null, error_message: null }),
        date_updated: isoAt(this.clock.now()),
      })
      .where("sid", "=", current.sid)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.announce(tx, row);
    return row;
  }

  /** When `customer` last wrote to our address `ours` (epoch ms): where a service window opens. */
  async lastInbound(accountSid: string, customer: string, ours: string): Promise<number | undefined> {
    const row = await this.database.db
      .selectFrom("channel_messages")
      .select("date_created")
      .where("account_sid", "=", accountSid)
      .where("from_address", "=", customer)
      .where("to_address", "=", ours)
      .where("direction", "=", "inbound")
      .orderBy("date_created", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && Date.parse(row.date_created);
  }

  /**
   * A provider's report that everything it took from `from` to `to` up to an instant arrived or
   * was read (Messenger's watermarks). Messages are matched by when they were queued, which is
   * before the provider timestamped them.
   */
  async reportThrough(
    accountSid: string,
    from: string,
    to: string,
    status: "delivered" | "read",
    through: number,
  ): Promise<void> {
    const behind = await this.database.db
      .selectFrom("channel_messages")
      .select(["provider_sid", "provider_message_id"])
      .where("account_sid", "=", accountSid)
      .where("from_address", "=", from)
      .where("to_address", "=", to)
      .where("date_created", "<=", isoAt(through))
      .where("status", "in", status === "read" ? ["sent", "delivered"] : ["sent"])
      .execute();
    for (const row of behind)
      if (row.provider_sid && row.provider_message_id)
        await this.report(row.provider_sid, row.provider_message_id, status);
  }

  async get(accountSid: string, sid: string): Promise<ChannelMessage | undefined> {
    return this.database.db
      .selectFrom("channel_messages")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  /** The account's provider messages, newest first (as Twilio lists them). */
  async list(accountSid: string, filter: MessageFilter, request: PageRequest): Promise<Page<ChannelMessage>> {
    let query = this.database.db
      .selectFrom("channel_messages")
      .selectAll()
      .where("account_sid", "=", accountSid);
    if (filter.to) query = query.where("to_address", "=", filter.to);
    if (filter.from) query = query.where("from_address", "=", filter.from);
    if (filter.sentAfter) query = query.where("date_sent", ">=", filter.sentAfter);
    if (filter.sentBefore) query = query.where("date_sent", "<=", filter.sentBefore);
    const rows = await byCreation(query, request, "desc").execute();
    return pageOf(rows, request, rowCreationKey);
  }

  /** Deletes a message that is done with; one still to be sent must be canceled first. */
  async remove(accountSid: string, sid: string): Promise<"removed" | "missing" | "pending"> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .selectFrom("channel_messages")
        .select(["sid", "next_attempt_at"])
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .executeTakeFirst();
      if (!row) return "missing";
      if (row.next_attempt_at !== null) return "pending";
      await tx.db.deleteFrom("channel_messages").where("sid", "=", sid).execute();
      return "removed";
    });
  }

  /** Stops a message that has not been sent yet; undefined when there is none such. */
  async cancel(accountSid: string, sid: string): Promise<ChannelMessage | undefined> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .updateTable("channel_messages")
        .set({ status: "canceled", next_attempt_at: null, date_updated: isoAt(this.clock.now()) })
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .where("status", "in", ["scheduled", "queued"])
        .returningAll()
        .executeTakeFirst();
      if (row) await this.announce(tx, row);
      return row;
    });
  }

  /** Erases the body of a message that is done with (sent, received or final); undefined otherwise. */
  async erase(accountSid: string, sid: string): Promise<ChannelMessage | undefined> {
    return this.database.db
      .updateTable("channel_messages")
      .set({ body: "", date_updated: isoAt(this.clock.now()) })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .where("next_attempt_at", "is", null)
      .returningAll()
      .executeTakeFirst();
  }

  /** Those of these messages that have a StatusCallback. */
  async withStatusCallbacks(
    accountSids: string[],
    sids: string[],
  ): Promise<Array<{ sid: string; account_sid: string; status_callback: string; date_created: string }>> {
    const rows = await this.database.db
      .selectFrom("channel_messages")
      .select(["sid", "account_sid", "status_callback", "date_created"])
      .where("account_sid", "in", accountSids)
      .where("sid", "in", sids)
      .where("status_callback", "is not", null)
      .execute();
    return rows.map((row) => ({ ...row, status_callback: row.status_callback! }));
  }

  /** The provider IDs (Message-IDs, for email) these conversation messages went out under. */
  async providerIdsOf(accountSid: string, messageSids: string[]): Promise<string[]> {
    if (messageSids.length === 0) return [];
    const rows = await this.database.db
      .selectFrom("channel_messages")
      .select("provider_message_id")
      .where("account_sid", "=", accountSid)
      .where("message_sid", "in", messageSids)
      .where("provider_message_id", "is not", null)
      .orderBy("date_created")
      .execute();
    return rows.map((row) => row.provider_message_id!);
  }

  /** A conversation message's delivery receipts, oldest first. */
  async receipts(
    accountSid: string,
    messageSid: string,
    request: PageRequest,
  ): Promise<Page<ChannelMessage>> {
    const query = this.database.db
      .selectFrom("channel_messages")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("message_sid", "=", messageSid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows, request, rowCreationKey);
  }

  async receipt(
    accountSid: string,
    messageSid: string,
    receiptSid: string,
  ): Promise<ChannelMessage | undefined> {
    return this.database.db
      .selectFrom("channel_messages")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("message_sid", "=", messageSid)
      .where("receipt_sid", "=", receiptSid)
      .executeTakeFirst();
  }

  /** Twilio's `delivery` summary of each conversation message that has receipts. */
  async deliverySummaries(accountSid: string, messageSids: string[]): Promise<Map<string, DeliverySummary>> {
    const summaries = new Map<string, DeliverySummary>();
    if (messageSids.length === 0) return summaries;
    const rows = await this.database.db
      .selectFrom("channel_messages")
      .select(["message_sid", "status"])
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("account_sid", "=", accountSid)
      .where("message_sid", "in", messageSids)
      .groupBy(["message_sid", "status"])
      .execute();
    const counts = new Map<string, Map<string, number>>();
    for (const row of rows) {
      const byStatus = counts.get(row.message_sid!) ?? new Map<string, number>();
      byStatus.set(row.status, Number(row.count));
      counts.set(row.message_sid!, byStatus);
    }
    for (const [sid, byStatus] of counts) {
      const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
      // Twilio reports each as "none", "some" or "all" of the receipts.
      const share = (...statuses: ChannelMessageStatus[]) => {
        const n = statuses.reduce((sum, s) => sum + (byStatus.get(s) ?? 0), 0);
        return n === 0 ? "none" : n === total ? "all" : "some";
      };
      summaries.set(sid, {
        total,
        sent: share("sent", "delivered", "read"),
        delivered: share("delivered", "read"),
        read: share("read"),
        failed: share("failed"),
        undelivered: share("undelivered"),
      });
    }
    return summaries;
  }

  /** Appends the status change's events. */
  private async announce(tx: Tx, row: ChannelMessage): Promise<void> {
    const drafts = [statusDraft(row)];
    if (row.receipt_sid !== null) drafts.push(deliveryDraft(row));
    await this.events.append(tx, row.account_sid, drafts);
  }
}

/**
 * `message.status`, scoped to the message: its parameters are those of Twilio's StatusCallback
 * request, so a receiver written for Twilio reads it unchanged.
 */
function statusDraft(row: ChannelMessage): EventDraft {
  return {
    eventType: "message.status",
    resourceType: "message",
    resourceSid: row.sid,
    description: `Message ${row.status}`,
    scopeSid: row.sid,
    data: {
      MessageSid: row.sid,
      SmsSid: row.sid,
      SmsMessageSid: row.sid,
      MessageStatus: row.status,
      SmsStatus: row.status,
      From: row.from_address,
      To: row.to_address,
      ApiVersion: "2010-04-01",
      ...(row.error_code !== null && row.status !== "queued" && { ErrorCode: String(row.error_code) }),
    },
  };
}

/** The conversation's `onDeliveryUpdated`, scoped to the conversation like its other events. */
function deliveryDraft(row: ChannelMessage): EventDraft {
  return {
    eventType: "conversation.delivery.updated",
    resourceType: "delivery",
    resourceSid: row.receipt_sid!,
    description: `Delivery ${receiptStatus(row) ?? "pending"}`,
    scopeSid: row.conversation_sid!,
    data: {
      EventType: "onDeliveryUpdated",
      ConversationSid: row.conversation_sid!,
      MessageSid: row.message_sid!,
      ChannelMessageSid: row.sid,
      DeliveryReceiptSid: row.receipt_sid!,
      ParticipantSid: row.participant_sid!,
      Status: receiptStatus(row) ?? "",
      ErrorCode: String(row.error_code ?? 0),
      DateCreated: row.date_created,
      DateUpdated: row.date_updated,
    },
  };
}

/**
 * A delivery receipt's status: Twilio's receipts know only sent, delivered, read, failed and
 * undelivered; before the provider took the message it has none (null).
 */
export function receiptStatus(
  row: ChannelMessage,
): "sent" | "delivered" | "read" | "failed" | "undelivered" | null {
  switch (row.status) {
    case "sent":
    case "delivered":
    case "read":
    case "failed":
    case "undelivered":
      return row.status;
    case "canceled":
      return "failed";
    default:
      return null;
  }
}
