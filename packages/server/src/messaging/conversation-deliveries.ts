import type { Logger } from "pino";
import type { ConversationStore } from "../conversations/store.ts";
import type { Database } from "../platform/db/database.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import { providerFor, type ProviderStore } from "./providers.ts";
import type { MessageStore, OutboundDraft } from "./store.ts";

const CONSUMER = "messaging.conversation-deliveries";
const BATCH = 200;
const IDLE_CURSOR_SAVE_MS = 1_000;
/** At most this many conversations are remembered as unreached (oldest forgotten first). */
const UNREACHED_KEPT = 50_000;
const PARTICIPANT_CHANGES = new Set(["conversation.participant.added", "conversation.participant.updated"]);

/**
 * Replies go out on the conversation's channel: every message added to a conversation is queued for
 * each participant reached through a messaging provider (an SMS number, a WhatsApp address), except
 * its author and anyone who joined after it. Each queued message carries a delivery receipt, which
 * the conversation's Receipts resource and `onDeliveryUpdated` events follow.
 *
 * It reads the event log by cursor and moves the cursor in the transaction that queues the batch's
 * messages, so each conversation message is queued exactly once per participant across restarts.
 */
export class ConversationDeliveries {
  private readonly passes: Passes;
  private position: number | undefined;
  /**
   * Conversations known to have no participant reached through a provider (web chats, custom
   * channels): their messages need no query. The log says when a participant joins or changes, and
   * this consumer reads that before any later message of the conversation, so the entry is dropped
   * in time. Conversation SIDs are never reused.
   */
  private readonly unreached = new Set<string>();
  /** The durable cursor, and when it was last written. */
  private saved = 0;
  private savedAt = 0;

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly conversations: ConversationStore,
    private readonly providers: ProviderStore,
    private readonly messages: MessageStore,
    private readonly logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.passes = new Passes(
      () => this.read(),
      (error) => this.logger.error({ err: error }, "conversation delivery pass failed"),
    );
  }

  start(): void {
    this.passes.follow(this.events.appended, "appended", this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    await this.passes.stop();
  }

  private async read(): Promise<void> {
    if (this.position === undefined) this.position = this.saved = await this.cursors.position(CONSUMER);
    for (;;) {
      const batch = await this.events.readAfter(this.position, BATCH);
      const last = batch.at(-1);
      if (!last) break;
      for (const event of batch)
        if (PARTICIPANT_CHANGES.has(event.eventType) && event.scopeSid) this.unreached.delete(event.scopeSid);
      const added = batch.filter(
        (e) =>
          e.eventType === "conversation.message.added" &&
          e.scopeSid !== null &&
          !this.unreached.has(e.scopeSid),
      );
      if (added.length > 0 && (await this.queue(added, last.seq))) {
        this.saved = last.seq;
        this.savedAt = performance.now();
      }
      this.position = last.seq;
      if (batch.length < BATCH) break;
    }
    // Batches that queued nothing move the cursor in memory, saved about once a second: re-reading
    // them after a crash queues nothing either, and saving each would cost a commit per batch.
    if (this.position > this.saved && performance.now() - this.savedAt >= IDLE_CURSOR_SAVE_MS) {
      await this.cursors.save(CONSUMER, this.position);
      this.saved = this.position;
      this.savedAt = performance.now();
    }
  }

  private remember(unreachedSid: string): void {
    if (this.unreached.size >= UNREACHED_KEPT) this.unreached.delete(this.unreached.values().next().value!);
    this.unreached.add(unreachedSid);
  }

  /** Queues the batch's deliveries with the cursor; false when there were none (nothing committed). */
  private async queue(added: StoredEvent[], through: number): Promise<boolean> {
    const accounts = [...new Set(added.map((e) => e.accountSid))];
    const recipients = await this.conversations.providerParticipants(accounts, [
      ...new Set(added.map((e) => e.scopeSid!)),
    ]);
    for (const sid of new Set(added.map((e) => e.scopeSid!)))
      if (!recipients.some((r) => r.conversation_sid === sid)) this.remember(sid);
    const drafts = new Map<string, OutboundDraft[]>();
    if (recipients.length > 0) {
      const providers = await this.providers.ofAccounts(accounts);
      for (const event of added) {
        const { MessageSid, ParticipantSid, Body, DateCreated } = event.data;
        for (const participant of recipients) {
          if (participant.conversation_sid !== event.scopeSid || participant.account_sid !== event.accountSid)
            continue;
          if (participant.sid === ParticipantSid || participant.date_created > DateCreated!) continue;
          if (participant.address === null) continue;
          // Without a proxy address nothing can send it: it is queued all the same and fails visibly
          // (21606 on its delivery receipt) rather than vanishing.
          const from = participant.proxy_address ?? "";
          const list = drafts.get(event.accountSid) ?? [];
          list.push({
            providerSid:
              providerFor(providers, event.accountSid, participant.binding_type!, from)?.sid ?? null,
            channel: participant.binding_type!,
            direction: "outbound-api",
            from,
            to: participant.address,
            body: Body ?? "",
            delivery: {
              conversationSid: participant.conversation_sid,
              messageSid: MessageSid!,
              participantSid: participant.sid,
            },
          });
          drafts.set(event.accountSid, list);
        }
      }
    }
    if (drafts.size === 0) return false;
    await this.database.transaction(async (tx) => {
      for (const [accountSid, list] of drafts) await this.messages.queue(tx, accountSid, list);
      await this.cursors.advance(tx.db, CONSUMER, through);
    });
    return true;
  }
}
