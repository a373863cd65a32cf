import type { Clock, SidGenerator } from "@switchboard/engine";
import { sql } from "kysely";
import { isUniqueViolation, violatedConstraint, type Database, type Tx } from "../platform/db/database.ts";
import { insertRows } from "../platform/db/insert-rows.ts";
import type {
  BindingType,
  ConversationMessagesTable,
  ConversationParticipantsTable,
  ConversationsTable,
  ConversationState,
  ConversationWebhooksTable,
} from "../platform/db/schema.ts";
import type { EventDraft, EventLog } from "../platform/events/event-log.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";
import type { MediaStore } from "../media/store.ts";
import { maskCardNumbers } from "./card-numbers.ts";
import { durationMs } from "./durations.ts";
import type { Address } from "./addresses.ts";
import {
  closedConversation,
  duplicateBinding,
  duplicateIdentity,
  duplicateUniqueName,
  noConversationFor,
} from "./errors.ts";

export type Conversation = ConversationsTable;
export type Participant = ConversationParticipantsTable;
export type Message = ConversationMessagesTable;
export type ConversationWebhook = ConversationWebhooksTable;

/** Every column of a message row, in the order inserts bind them. */
const MESSAGE_COLUMNS = [
  "sid",
  "account_sid",
  "conversation_sid",
  "message_index",
  "author",
  "body",
  "attributes",
  "participant_sid",
  "subject",
  "external_id",
  "media",
  "date_created",
  "date_updated",
] as const satisfies ReadonlyArray<keyof Message>;

export interface ConversationInput {
  uniqueName?: string | null;
  friendlyName?: string | null;
  attributes?: string;
  state?: ConversationState;
  messagingServiceSid?: string | null;
  /** ISO 8601 durations; an empty string clears a timer. */
  timersInactive?: string;
  timersClosed?: string;
  dateCreated?: string;
  dateUpdated?: string;
}

export interface ParticipantInput {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  attributes?: string;
  roleSid?: string;
  lastReadMessageIndex?: number | null;
  lastReadTimestamp?: string;
  dateCreated?: string;
  dateUpdated?: string;
}

export interface MessageInput {
  author?: string;
  /** The channel's ID for an inbound message (unique per account). */
  externalId?: string;
  body?: string;
  attributes?: string;
  subject?: string;
  /** Uploaded media (SIDs) the message carries. */
  media?: string[];
  dateCreated?: string;
  dateUpdated?: string;
}

export interface WebhookInput {
  target: ConversationWebhooksTable["target"];
  url?: string;
  filters?: string[];
  triggers?: string[];
  flowSid?: string;
  /** A flow builder's test run: the flow's latest revision, draft or not (never set through the API). */
  flowRevision?: "latest";
  replayAfter?: number;
}

/** A message arriving on a channel from a customer's address to one of ours. */
export interface InboundMessage {
  channel: BindingType;
  from: string;
  to: string;
  body: string;
  attributes?: string;
  /** The channel's ID for the message, for recognising redeliveries. */
  externalId?: string;
  /** Attributes of the conversation, if this message starts one (a web chat's pre-chat answers). */
  conversationAttributes?: string;
  /** A subject line (email). */
  subject?: string;
  /** Media the sender uploaded with it (SIDs): an email's attachments, a visitor's photo. */
  media?: string[];
  /**
   * A conversation this message says it continues (an email whose References name one of its
   * messages): it goes there, whoever sent it, while that conversation is open.
   */
  threadSid?: string;
}

/** What became of an inbound message. */
export interface Received {
  conversation: Conversation;
  message: Message;
  /** True when the channel delivered this message before: nothing was added. */
  duplicate: boolean;
}

export interface ConversationFilter {
  state?: ConversationState;
  /** Inclusive ISO bounds on date_created. */
  startDate?: string;
  endDate?: string;
}

/**
 * Twilio's conversation event names, by the dotted type our event log files them under. The event's
 * `EventType` parameter carries Twilio's name, so webhook receivers written for Twilio read it unchanged.
 */
export const CONVERSATION_EVENTS = {
  "conversation.added": "onConversationAdded",
  "conversation.updated": "onConversationUpdated",
  "conversation.state-updated": "onConversationStateUpdated",
  "conversation.removed": "onConversationRemoved",
  "conversation.participant.added": "onParticipantAdded",
  "conversation.participant.updated": "onParticipantUpdated",
  "conversation.participant.removed": "onParticipantRemoved",
  "conversation.message.added": "onMessageAdded",
  "conversation.message.updated": "onMessageUpdated",
  "conversation.message.removed": "onMessageRemoved",
  "conversation.delivery.updated": "onDeliveryUpdated",
} as const;

export type ConversationEventType = keyof typeof CONVERSATION_EVENTS;

/** Without a timer, a conversation stays in its state until told otherwise. */
const NO_TIMERS = { date_inactive: null, date_closed: null };

/**
 * Conversations, their participants, messages and scoped webhooks. Every change appends its event
 * in the same transaction; every query is scoped by account. Message bodies have card numbers
 * masked before they are written anywhere.
 */
export class ConversationStore {
  /** How many due timers one transaction fires. */
  readonly timerBatch = 500;

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly media: MediaStore,
  ) {}

  // ------------------------------------------------------------------------------------------
  // Conversations

  async create(accountSid: string, input: ConversationInput): Promise<Conversation> {
    const row = this.conversationRow(accountSid, input, this.clock.now());
    return this.write(
      async (tx) => {
        if (row.unique_name !== null) await this.assertUniqueName(tx, accountSid, row.unique_name);
        await tx.db.insertInto("conversations").values(row).execute();
        await this.append(tx, row, "conversation.added", "Conversation added", conversationData(row));
        return row;
      },
      duplicateUniqueName(row.unique_name ?? ""),
    );
  }

  /** By SID or unique name, as Twilio resolves the `{Sid}` path segment. */
  async get(accountSid: string, sidOrUniqueName: string): Promise<Conversation | undefined> {
    return this.find(this.database.db, accountSid, sidOrUniqueName);
  }

  async list(
    accountSid: string,
    filter: ConversationFilter,
    request: PageRequest,
  ): Promise<Page<Conversation>> {
    let query = this.database.db
      .selectFrom("conversations")
      .selectAll()
      .where("account_sid", "=", accountSid);
    if (filter.state) query = query.where("state", "=", filter.state);
    if (filter.startDate) query = query.where("date_created", ">=", filter.startDate);
    if (filter.endDate) query = query.where("date_created", "<=", filter.endDate);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows, request, rowCreationKey);
  }

  async update(
    accountSid: string,
    sidOrUniqueName: string,
    changes: ConversationInput,
  ): Promise<Conversation | undefined> {
    const now = this.clock.now();
    return this.write(
      async (tx) => {
        const current = await this.find(tx.db, accountSid, sidOrUniqueName);
        if (!current) return undefined;
        if (current.state === "closed" && changes.state !== undefined && changes.state !== "closed")
          throw closedConversation(current.sid);
        if (changes.uniqueName && changes.uniqueName !== current.unique_name)
          await this.assertUniqueName(tx, accountSid, changes.uniqueName);
        const next: Conversation = {
          ...current,
          ...(changes.uniqueName !== undefined && { unique_name: changes.uniqueName || null }),
          ...(changes.friendlyName !== undefined && { friendly_name: changes.friendlyName }),
          ...(changes.attributes !== undefined && { attributes: changes.attributes }),
          ...(changes.state !== undefined && { state: changes.state }),
          ...(changes.messagingServiceSid !== undefined && {
            messaging_service_sid: changes.messagingServiceSid,
          }),
          ...(changes.timersInactive !== undefined && { timers_inactive: changes.timersInactive || null }),
          ...(changes.timersClosed !== undefined && { timers_closed: changes.timersClosed || null }),
          ...(changes.dateCreated !== undefined && { date_created: changes.dateCreated }),
          date_updated: changes.dateUpdated ?? isoAt(now),
        };
        Object.assign(next, timersFrom(next, now));
        await tx.db
          .updateTable("conversations")
          .set(next)
          .where("account_sid", "=", accountSid)
          .where("sid", "=", current.sid)
          .execute();
        await this.append(tx, next, "conversation.updated", "Conversation updated", conversationData(next));
        if (next.state !== current.state) await this.stateChanged(tx, current, next.state);
        return next;
      },
      duplicateUniqueName(changes.uniqueName ?? ""),
    );
  }

  /** Removes the conversation with its participants, messages and webhooks. */
  async remove(accountSid: string, sidOrUniqueName: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const row = await this.find(tx.db, accountSid, sidOrUniqueName);
      if (!row) return false;
      for (const table of [
        "conversation_webhooks",
        "conversation_messages",
        "conversation_participants",
      ] as const)
        await tx.db
          .deleteFrom(table)
          .where("account_sid", "=", accountSid)
          .where("conversation_sid", "=", row.sid)
          .execute();
      await this.media.removeOf(tx, accountSid, row.sid);
      await tx.db
        .deleteFrom("conversations")
        .where("account_sid", "=", accountSid)
        .where("sid", "=", row.sid)
        .execute();
      await this.append(tx, row, "conversation.removed", "Conversation removed", conversationData(row));
      return true;
    });
  }

  /**
   * Moves conversations whose timers have fired: active ones past `date_inactive` become inactive,
   * open ones past `date_closed` close. Returns how many changed.
   */
  async fireTimers(): Promise<number> {
    const now = isoAt(this.clock.now());
    return this.database.transaction(async (tx) => {
      const due = await tx.db
        .selectFrom("conversations")
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb("state", "=", "active"), eb("date_inactive", "<=", now)]),
            eb.and([eb("state", "in", ["active", "inactive"]), eb("date_closed", "<=", now)]),
          ]),
        )
        .limit(this.timerBatch)
        .execute();
      for (const row of due) {
        const state: ConversationState =
          row.date_closed !== null && row.date_closed <= now ? "closed" : "inactive";
        const changes = { state, date_updated: now, ...(state === "inactive" && { date_inactive: null }) };
        // Only from the state it was read in: another node that fired this timer first wins.
        const result = await tx.db
          .updateTable("conversations")
          .set(changes)
          .where("sid", "=", row.sid)
          .where("state", "=", row.state)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0) await this.stateChanged(tx, row, state);
      }
      return due.length;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Participants

  async addParticipant(conversation: Conversation, input: ParticipantInput): Promise<Participant> {
    const row = this.participantRow(conversation, input, this.clock.now());
    const conflict =
      row.identity !== null ? duplicateIdentity(row.identity) : duplicateBinding(conversation.sid);
    return this.write(async (tx) => {
      const current = await this.openConversation(tx, conversation);
      if (row.identity !== null) {
        const existing = await tx.db
          .selectFrom("conversation_participants")
          .select("sid")
          .where("account_sid", "=", row.account_sid)
          .where("conversation_sid", "=", row.conversation_sid)
          .where("identity", "=", row.identity)
          .executeTakeFirst();
        if (existing) throw conflict;
      }
      if (row.address !== null) {
        const bound = await this.openConversationOf(tx, row.account_sid, row.address, row.proxy_address);
        if (bound) throw duplicateBinding(bound);
      }
      await tx.db.insertInto("conversation_participants").values(row).execute();
      await this.append(
        tx,
        current,
        "conversation.participant.added",
        "Participant added",
        participantData(row),
      );
      return row;
    }, conflict);
  }

  async getParticipant(conversation: Conversation, sidOrIdentity: string): Promise<Participant | undefined> {
    return this.database.db
      .selectFrom("conversation_participants")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where((eb) => eb.or([eb("sid", "=", sidOrIdentity), eb("identity", "=", sidOrIdentity)]))
      .executeTakeFirst();
  }

  /** The participant writing from `address` (a messaging binding, or a web chat visitor). */
  async getParticipantByAddress(
    conversation: Conversation,
    address: string,
  ): Promise<Participant | undefined> {
    return this.database.db
      .selectFrom("conversation_participants")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("address", "=", address)
      .executeTakeFirst();
  }

  async listParticipants(conversation: Conversation, request: PageRequest): Promise<Page<Participant>> {
    const query = this.database.db
      .selectFrom("conversation_participants")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows, request, rowCreationKey);
  }

  async updateParticipant(
    conversation: Conversation,
    sid: string,
    changes: ParticipantInput,
  ): Promise<Participant | undefined> {
    return this.write(
      async (tx) => {
        const current = await tx.db
          .selectFrom("conversation_participants")
          .selectAll()
          .where("account_sid", "=", conversation.account_sid)
          .where("conversation_sid", "=", conversation.sid)
          .where("sid", "=", sid)
          .executeTakeFirst();
        if (!current) return undefined;
        const next: Participant = {
          ...current,
          ...(changes.identity !== undefined && { identity: changes.identity }),
          ...(changes.proxyAddress !== undefined && { proxy_address: changes.proxyAddress }),
          ...(changes.projectedAddress !== undefined && { projected_address: changes.projectedAddress }),
          ...(changes.attributes !== undefined && { attributes: changes.attributes }),
          ...(changes.roleSid !== undefined && { role_sid: changes.roleSid }),
          ...(changes.lastReadMessageIndex !== undefined && {
            last_read_message_index: changes.lastReadMessageIndex,
            last_read_timestamp: changes.lastReadTimestamp ?? isoAt(this.clock.now()),
          }),
          ...(changes.lastReadTimestamp !== undefined && { last_read_timestamp: changes.lastReadTimestamp }),
          ...(changes.dateCreated !== undefined && { date_created: changes.dateCreated }),
          date_updated: changes.dateUpdated ?? isoAt(this.clock.now()),
        };
        await tx.db.updateTable("conversation_participants").set(next).where("sid", "=", sid).execute();
        await this.append(
          tx,
          conversation,
          "conversation.participant.updated",
          "Participant updated",
          participantData(next),
        );
        return next;
      },
      changes.identity ? duplicateIdentity(changes.identity) : duplicateBinding(conversation.sid),
    );
  }

  async removeParticipant(conversation: Conversation, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .deleteFrom("conversation_participants")
        .where("account_sid", "=", conversation.account_sid)
        .where("conversation_sid", "=", conversation.sid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (!row) return false;
      await this.append(
        tx,
        conversation,
        "conversation.participant.removed",
        "Participant removed",
        participantData(row),
      );
      return true;
    });
  }

  /** The open conversation an address writes into through a proxy address, if any: inbound routing's lookup. */
  async conversationFor(
    accountSid: string,
    address: string,
    proxyAddress: string | null,
  ): Promise<string | undefined> {
    return this.openConversationOf({ db: this.database.db }, accountSid, address, proxyAddress);
  }

  // ------------------------------------------------------------------------------------------
  // Messages

  async addMessage(conversation: Conversation, input: MessageInput): Promise<Message> {
    const [message] = await this.database.transaction((tx) =>
      this.addMessages(tx, [{ conversation, input }]),
    );
    return message!;
  }

  /**
   * Adds messages inside the caller's transaction, in order, with a few statements however many
   * there are: each conversation's
   * counter moves by its number of messages in one `UPDATE … RETURNING` (which also serialises
   * concurrent writers of a conversation on Postgres), so indexes are dense and never handed out
   * twice; the messages go in with one insert and their events with one append per account. A new
   * message re-activates an inactive conversation and restarts its timers; a closed one refuses.
   *
   * A caller that has read the conversations' rows in this transaction passes them as `read`, and
   * an item's `participantSid` when it knows who wrote it, to spare their reads: the counter's update
   * still refuses a conversation closed since (it never touches a closed row).
   */
  async addMessages(
    tx: Tx,
    items: Array<{ conversation: Conversation; input: MessageInput; participantSid?: string }>,
    read?: ReadonlyMap<string, Conversation>,
  ): Promise<Message[]> {
    if (items.length === 0) return [];
    const now = this.clock.now();
    const sids = [...new Set(items.map((item) => item.conversation.sid))];
    const accounts = [...new Set(items.map((item) => item.conversation.account_sid))];
    const current =
      read ??
      new Map(
        (
          await tx.db
            .selectFrom("conversations")
            .selectAll()
            .where("account_sid", "in", accounts)
            .where("sid", "in", sids)
            .execute()
        ).map((row) => [row.sid, row]),
      );
    const counts = messageCounts(items, current);
    // One UPDATE per distinct change: conversations that take as many messages and share timer
    // settings (most of a batch) take the same values. A CASE over every conversation made the one
    // statement quadratic in the batch: a tenth of the event loop with a thousand chats writing.
    const changes = new Map<
      string,
      { count: number; timers: ReturnType<typeof timersFrom>; sids: string[] }
    >();
    for (const sid of sids) {
      const count = counts.get(sid)!;
      const timers = timersFrom({ ...current.get(sid)!, state: "active" }, now);
      const key = `${count} ${timers.date_inactive} ${timers.date_closed}`;
      const change = changes.get(key);
      if (change) change.sids.push(sid);
      else changes.set(key, { count, timers, sids: [sid] });
    }
    const advanced: Array<{ sid: string; next_message_index: number }> = [];
    for (const { count, timers, sids: changed } of changes.values())
      advanced.push(
        ...(await tx.db
          .updateTable("conversations")
          .set({
            next_message_index: sql<number>`next_message_index + ${count}`,
            state: "active",
            date_updated: isoAt(now),
            date_inactive: timers.date_inactive,
            date_closed: timers.date_closed,
          })
          .where("account_sid", "in", accounts)
          .where("sid", "in", changed)
          .where("state", "<>", "closed")
          .returning(["sid", "next_message_index"])
          .execute()),
      );
    if (advanced.length < sids.length) {
      const updated = new Set(advanced.map((row) => row.sid));
      throw closedConversation(sids.find((sid) => !updated.has(sid))!);
    }
    // The first index each conversation hands out in this batch.
    const next = new Map(
      advanced.map((row) => [row.sid, Number(row.next_message_index) - counts.get(row.sid)!]),
    );
    const participantOf = new Map<string, string>();
    const unknown = items.filter((item) => item.participantSid === undefined);
    if (unknown.length > 0) {
      const authors = [...new Set(unknown.map((item) => item.input.author ?? "system"))];
      const participants = await tx.db
        .selectFrom("conversation_participants")
        .select(["sid", "conversation_sid", "identity", "address"])
        .where("account_sid", "in", accounts)
        .where("conversation_sid", "in", [...new Set(unknown.map((item) => item.conversation.sid))])
        .where((eb) => eb.or([eb("identity", "in", authors), eb("address", "in", authors)]))
        .execute();
      for (const p of participants) {
        if (p.identity !== null) participantOf.set(`${p.conversation_sid} ${p.identity}`, p.sid);
        if (p.address !== null) participantOf.set(`${p.conversation_sid} ${p.address}`, p.sid);
      }
    }
    const rows = this.messageRows(items, next, participantOf, now);
    for (const account of accounts) {
      const attached = await this.media.attach(
        tx,
        account,
        items.flatMap(({ conversation, input }, i) =>
          conversation.account_sid === account && input.media?.length
            ? [
                {
                  conversationSid: conversation.sid,
                  messageSid: rows[i]!.sid,
                  author: rows[i]!.author,
                  mediaSids: input.media,
                },
              ]
            : [],
        ),
      );
      for (const row of rows) {
        const refs = attached.get(row.sid);
        if (refs) row.media = JSON.stringify(refs);
      }
    }
    await insertRows(tx.db, this.database.dialect, "conversation_messages", MESSAGE_COLUMNS, rows);
    const events = messageEvents(rows, current);
    for (const account of accounts)
      await this.events.append(
        tx,
        account,
        events.filter((event) => event.accountSid === account).map((event) => event.draft),
      );
    return rows;
  }

  /**
   * The rows of new messages, each conversation's numbered on from its index in `next` (which moves
   * past them); authors not given by `participantSid` are looked up in `participantOf`.
   */
  private messageRows(
    items: Array<{ conversation: Conversation; input: MessageInput; participantSid?: string }>,
    next: Map<string, number>,
    participantOf: ReadonlyMap<string, string>,
    now: number,
  ): Message[] {
    return items.map(({ conversation, input, participantSid }): Message => {
      const index = next.get(conversation.sid)!;
      next.set(conversation.sid, index + 1);
      const author = input.author ?? "system";
      return {
        sid: this.ids.next("IM"),
        account_sid: conversation.account_sid,
        conversation_sid: conversation.sid,
        message_index: index,
        author,
        body: input.body === undefined ? null : maskCardNumbers(input.body),
        attributes: input.attributes ?? "{}",
        participant_sid: participantSid ?? participantOf.get(`${conversation.sid} ${author}`) ?? null,
        subject: input.subject ?? null,
        external_id: input.externalId ?? null,
        media: null,
        date_created: input.dateCreated ?? isoAt(now),
        date_updated: input.dateUpdated ?? input.dateCreated ?? isoAt(now),
      };
    });
  }

  /**
   * Takes inbound messages, each from `from` to our address `to`: into the open conversation of that
   * pair, or, when there is none and the address auto-creates, a new conversation with the sender as
   * participant (and the address's scoped webhook). A message whose external ID was seen before is
   * not added again. All in one transaction, in order (a later message sees what an earlier one
   * started), so messages that arrive together cost one commit; if any fails, none is kept.
   * `addressOf` reads an address configuration inside that transaction, only for a new conversation.
   */
  async receive(
    messages: Array<{ accountSid: string; inbound: InboundMessage }>,
    addressOf: (db: Tx["db"], accountSid: string, inbound: InboundMessage) => Promise<Address | undefined>,
  ): Promise<Received[]> {
    if (this.database.dialect === "postgres") {
      const received = await this.receiveIntoOpenConversations(messages);
      if (received) return received;
    }
    return this.database.transaction(async (tx) => {
      const accounts = [...new Set(messages.map((m) => m.accountSid))];
      const key = (...parts: Array<string | null>) => parts.join(" ");
      // Messages stored before under their external IDs: redeliveries.
      const externalIds = messages.flatMap((m) =>
        m.inbound.externalId === undefined ? [] : [m.inbound.externalId],
      );
      const stored = new Map<string, Message>();
      if (externalIds.length > 0)
        for (const row of await tx.db
          .selectFrom("conversation_messages")
          .selectAll()
          .where("account_sid", "in", accounts)
          .where("external_id", "in", externalIds)
          .execute())
          stored.set(key(row.account_sid, row.external_id), row);
      // The senders' open conversations with our addresses.
      const open = new Map<string, { conversationSid: string; participantSid: string }>();
      for (const row of await tx.db
        .selectFrom("conversation_participants")
        .select(["sid", "account_sid", "conversation_sid", "address", "proxy_address"])
        .where("account_sid", "in", accounts)
        .where("conversation_open", "=", 1)
        .where("address", "in", [...new Set(messages.map((m) => m.inbound.from))])
        .execute())
        open.set(key(row.account_sid, row.address, row.proxy_address), {
          conversationSid: row.conversation_sid,
          participantSid: row.sid,
        });
      const conversations = new Map<string, Conversation>();
      const known = new Set([
        ...[...open.values()].map((binding) => binding.conversationSid),
        ...messages.flatMap((m) => (m.inbound.threadSid === undefined ? [] : [m.inbound.threadSid])),
      ]);
      if (known.size > 0)
        for (const row of await tx.db
          .selectFrom("conversations")
          .selectAll()
          .where("account_sid", "in", accounts)
          .where("sid", "in", [...known])
          .execute())
          conversations.set(row.sid, row);

      const results: Array<Received | undefined> = [];
      const toAdd: Array<{
        position: number;
        conversation: Conversation;
        input: MessageInput;
        participantSid?: string;
      }> = [];
      /** Messages of this batch by external ID: a repeat inside the batch is a duplicate of the first. */
      const firstOf = new Map<string, number>();
      const repeats: Array<{ position: number; of: number }> = [];
      for (const [position, { accountSid, inbound }] of messages.entries()) {
        const idKey = inbound.externalId === undefined ? undefined : key(accountSid, inbound.externalId);
        const seen = idKey === undefined ? undefined : stored.get(idKey);
        if (seen) {
          const conversation =
            conversations.get(seen.conversation_sid) ??
            (await this.find(tx.db, accountSid, seen.conversation_sid))!;
          results[position] = { conversation, message: seen, duplicate: true };
          continue;
        }
        if (idKey !== undefined && firstOf.has(idKey)) {
          repeats.push({ position, of: firstOf.get(idKey)! });
          continue;
        }
        if (idKey !== undefined) firstOf.set(idKey, position);
        const bindingKey = key(accountSid, inbound.from, inbound.to);
        const thread = conversations.get(inbound.threadSid ?? "");
        // The sender's participant is known unless the message joins a thread by reference.
        let conversation: Conversation | undefined;
        let participantSid: string | undefined;
        if (thread && thread.account_sid === accountSid && thread.state !== "closed") conversation = thread;
        else {
          const binding = open.get(bindingKey);
          conversation = conversations.get(binding?.conversationSid ?? "");
          participantSid = binding?.participantSid;
        }
        if (!conversation) {
          const started = await this.startInbound(
            tx,
            accountSid,
            inbound,
            await addressOf(tx.db, accountSid, inbound),
          );
          conversation = started.conversation;
          participantSid = started.participant.sid;
          conversations.set(conversation.sid, conversation);
          open.set(bindingKey, { conversationSid: conversation.sid, participantSid });
        }
        toAdd.push({ position, conversation, participantSid, input: inboundInput(inbound) });
      }
      const added = await this.addMessages(tx, toAdd, conversations);
      toAdd.forEach(({ position, conversation }, i) => {
        results[position] = { conversation, message: added[i]!, duplicate: false };
      });
      for (const { position, of } of repeats) results[position] = { ...results[of]!, duplicate: true };
      return results as Received[];
    });
  }

  /**
   * Postgres: inbound messages that all continue open conversations, stored in two round trips where
   * the transaction takes eight (BEGIN, three reads, the counters, the messages, the events, COMMIT):
   * one read of the senders' conversations, and one statement that moves their counters, inserts
   * the messages and appends their events (`EventLog.appendIf`). Indexes are numbered on from the
   * counters as read, so the statement goes ahead only if every counter still holds that value (and
   * its conversation is not closed), locking their rows to the commit: the indexes are then the ones
   * the counters hand out, dense and never twice. Returns undefined, having written nothing, when
   * the group needs the transaction: a message that starts a conversation, joins a thread, carries
   * media, repeats an external ID of the group or one stored before (a redelivery), or a counter
   * that moved since the read (another writer's message).
   */
  private async receiveIntoOpenConversations(
    messages: Array<{ accountSid: string; inbound: InboundMessage }>,
  ): Promise<Received[] | undefined> {
    if (messages.some(({ inbound }) => inbound.threadSid !== undefined || inbound.media?.length)) return;
    const externalIds = messages.flatMap(({ accountSid, inbound }) =>
      inbound.externalId === undefined ? [] : [`${accountSid} ${inbound.externalId}`],
    );
    if (new Set(externalIds).size < externalIds.length) return;
    const open = new Map<string, { conversation: Conversation; participantSid: string }>();
    const bindings = await this.database.db
      .selectFrom("conversation_participants as p")
      // Joined by SID alone, the conversations' primary key is the one index that serves the join:
      // with the account in the join too, fresh tables' statistics (every conversation started in
      // the last minute) let the planner scan the account's conversations once per binding instead.
      // A participant's conversation is in the participant's account.
      .innerJoin("conversations as c", "c.sid", "p.conversation_sid")
      .selectAll("c")
      .select(["p.sid as binding_sid", "p.address as binding_address", "p.proxy_address as binding_proxy"])
      .where("p.account_sid", "in", [...new Set(messages.map((m) => m.accountSid))])
      .where("p.conversation_open", "=", 1)
      .where("p.address", "in", [...new Set(messages.map((m) => m.inbound.from))])
      .execute();
    for (const { binding_sid, binding_address, binding_proxy, ...conversation } of bindings)
      open.set(`${conversation.account_sid} ${binding_address} ${binding_proxy}`, {
        conversation,
        participantSid: binding_sid,
      });
    const items: Array<{ conversation: Conversation; input: MessageInput; participantSid: string }> = [];
    for (const { accountSid, inbound } of messages) {
      const binding = open.get(`${accountSid} ${inbound.from} ${inbound.to}`);
      if (!binding || binding.conversation.state === "closed") return;
      items.push({ ...binding, input: inboundInput(inbound) });
    }
    const now = this.clock.now();
    const current = new Map(items.map(({ conversation }) => [conversation.sid, conversation]));
    const counts = messageCounts(items, current);
    const next = new Map([...current.values()].map((row) => [row.sid, row.next_message_index]));
    const rows = this.messageRows(items, next, new Map(), now);
    const moves = [...current.values()].map((row) => ({
      account_sid: row.account_sid,
      sid: row.sid,
      index_from: row.next_message_index,
      index_to: row.next_message_index + counts.get(row.sid)!,
      date_updated: isoAt(now),
      ...timersFrom({ ...row, state: "active" }, now),
    }));
    try {
      const stored = await this.events.appendIf(
        messageEvents(rows, current),
        [{ table: "conversation_messages", rows }],
        countersMoved(moves),
      );
      if (!stored) return;
    } catch (error) {
      if (isUniqueViolation(error) && violatedConstraint(error) === "conversation_messages_by_external_id")
        return;
      throw error;
    }
    return items.map(({ conversation }, i) => ({ conversation, message: rows[i]!, duplicate: false }));
  }

  private async startInbound(
    tx: Tx,
    accountSid: string,
    inbound: InboundMessage,
    address: Address | undefined,
  ): Promise<{ conversation: Conversation; participant: Participant }> {
    const autoCreation = address?.auto_creation;
    if (!address || !autoCreation?.enabled) throw noConversationFor(inbound.channel, inbound.to);
    const now = this.clock.now();
    const conversation = this.conversationRow(
      accountSid,
      { friendlyName: inbound.from, attributes: inbound.conversationAttributes },
      now,
    );
    const participant = this.participantRow(
      conversation,
      { address: inbound.from, proxyAddress: inbound.to, bindingType: inbound.channel },
      now,
    );
    await this.insertStarted(tx, conversation, participant, {
      ...conversationData(conversation),
      // AddressSid tells the consumers of the log (task creation) which configuration made it.
      AddressSid: address.sid,
      ChannelType: inbound.channel,
      From: inbound.from,
    });
    if (autoCreation.type === "webhook" && autoCreation.webhook_url) {
      const webhook = this.webhookRow(
        conversation,
        { target: "webhook", url: autoCreation.webhook_url, filters: autoCreation.webhook_filters },
        now,
      );
      await tx.db.insertInto("conversation_webhooks").values(webhook).execute();
    }
    if (autoCreation.type === "studio" && autoCreation.studio_flow_sid) {
      const webhook = this.webhookRow(
        conversation,
        { target: "studio", flowSid: autoCreation.studio_flow_sid },
        now,
      );
      await tx.db.insertInto("conversation_webhooks").values(webhook).execute();
    }
    return { conversation, participant };
  }

  /** Writes a conversation started with its first participant, and the events saying so. */
  private async insertStarted(
    tx: Tx,
    conversation: Conversation,
    participant: Participant,
    added: Record<string, string>,
  ): Promise<void> {
    await tx.db.insertInto("conversations").values(conversation).execute();
    await tx.db.insertInto("conversation_participants").values(participant).execute();
    await this.append(tx, conversation, "conversation.added", "Conversation added", added);
    await this.append(
      tx,
      conversation,
      "conversation.participant.added",
      "Participant added",
      participantData(participant),
    );
  }

  /** The message of the conversation that a sender's own ID named, if it was stored. */
  async messageByExternalId(conversation: Conversation, externalId: string): Promise<Message | undefined> {
    return this.database.db
      .selectFrom("conversation_messages")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("external_id", "=", externalId)
      .executeTakeFirst();
  }

  async getMessage(conversation: Conversation, sid: string): Promise<Message | undefined> {
    return this.database.db
      .selectFrom("conversation_messages")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  /** Messages in index order (ascending by default); pages continue from the last index seen. */
  async listMessages(
    conversation: Conversation,
    order: "asc" | "desc",
    request: PageRequest,
  ): Promise<Page<Message>> {
    let query = this.database.db
      .selectFrom("conversation_messages")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid);
    if (request.after)
      query = query.where("message_index", order === "asc" ? ">" : "<", Number(request.after[0]));
    const rows = await query
      .orderBy("message_index", order)
      .limit(request.pageSize + 1)
      .offset(request.offset)
      .execute();
    return pageOf(rows, request, (row) => [row.message_index]);
  }

  async updateMessage(
    conversation: Conversation,
    sid: string,
    changes: MessageInput,
  ): Promise<Message | undefined> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .updateTable("conversation_messages")
        .set({
          ...(changes.author !== undefined && { author: changes.author }),
          ...(changes.body !== undefined && { body: maskCardNumbers(changes.body) }),
          ...(changes.attributes !== undefined && { attributes: changes.attributes }),
          ...(changes.subject !== undefined && { subject: changes.subject }),
          ...(changes.dateCreated !== undefined && { date_created: changes.dateCreated }),
          date_updated: changes.dateUpdated ?? isoAt(this.clock.now()),
        })
        .where("account_sid", "=", conversation.account_sid)
        .where("conversation_sid", "=", conversation.sid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (row)
        await this.append(
          tx,
          conversation,
          "conversation.message.updated",
          "Message updated",
          messageData(row),
        );
      return row;
    });
  }

  async removeMessage(conversation: Conversation, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const row = await tx.db
        .deleteFrom("conversation_messages")
        .where("account_sid", "=", conversation.account_sid)
        .where("conversation_sid", "=", conversation.sid)
        .where("sid", "=", sid)
        .returningAll()
        .executeTakeFirst();
      if (row?.media) await this.media.removeOf(tx, conversation.account_sid, conversation.sid, row.sid);
      if (row)
        await this.append(
          tx,
          conversation,
          "conversation.message.removed",
          "Message removed",
          messageData(row),
        );
      return row !== undefined;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Conversation-scoped webhooks

  async addWebhook(conversation: Conversation, input: WebhookInput): Promise<ConversationWebhook> {
    const row = this.webhookRow(conversation, input, this.clock.now());
    await this.database.db.insertInto("conversation_webhooks").values(row).execute();
    return row;
  }

  async getWebhook(conversation: Conversation, sid: string): Promise<ConversationWebhook | undefined> {
    return this.database.db
      .selectFrom("conversation_webhooks")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  async listWebhooks(conversation: Conversation, request: PageRequest): Promise<Page<ConversationWebhook>> {
    const query = this.database.db
      .selectFrom("conversation_webhooks")
      .selectAll()
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid);
    const rows = await byCreation(query, request).execute();
    return pageOf(rows, request, rowCreationKey);
  }

  async updateWebhook(
    conversation: Conversation,
    sid: string,
    changes: Partial<WebhookInput>,
  ): Promise<ConversationWebhook | undefined> {
    return this.database.db
      .updateTable("conversation_webhooks")
      .set({
        ...(changes.url !== undefined && { url: changes.url }),
        ...(changes.filters !== undefined && { filters: JSON.stringify(changes.filters) }),
        ...(changes.triggers !== undefined && { triggers: JSON.stringify(changes.triggers) }),
        ...(changes.flowSid !== undefined && { flow_sid: changes.flowSid }),
        date_updated: isoAt(this.clock.now()),
      })
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("sid", "=", sid)
      .returningAll()
      .executeTakeFirst();
  }

  async removeWebhook(conversation: Conversation, sid: string): Promise<boolean> {
    const row = await this.database.db
      .deleteFrom("conversation_webhooks")
      .where("account_sid", "=", conversation.account_sid)
      .where("conversation_sid", "=", conversation.sid)
      .where("sid", "=", sid)
      .returning("sid")
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The webhooks of these conversations that call a URL (targets `webhook` and `trigger`). */
  async deliveryWebhooks(accountSids: string[], conversationSids: string[]): Promise<ConversationWebhook[]> {
    return this.database.db
      .selectFrom("conversation_webhooks")
      .selectAll()
      .where("account_sid", "in", accountSids)
      .where("conversation_sid", "in", conversationSids)
      .where("target", "in", ["webhook", "trigger"])
      .execute();
  }

  /** The participants reached through a messaging provider (SMS, WhatsApp, Messenger, email) of these conversations. */
  async providerParticipants(accountSids: string[], conversationSids: string[]): Promise<Participant[]> {
    return this.database.db
      .selectFrom("conversation_participants")
      .selectAll()
      .where("account_sid", "in", accountSids)
      .where("conversation_sid", "in", conversationSids)
      .where("binding_type", "in", ["sms", "whatsapp", "messenger", "email"])
      .execute();
  }

  /** A conversation's messages in order, as email threading needs them: SID, external ID, subject. */
  async thread(
    accountSid: string,
    conversationSid: string,
  ): Promise<Array<Pick<Message, "sid" | "external_id" | "subject">>> {
    return this.database.db
      .selectFrom("conversation_messages")
      .select(["sid", "external_id", "subject"])
      .where("account_sid", "=", accountSid)
      .where("conversation_sid", "=", conversationSid)
      .orderBy("message_index")
      .execute();
  }

  /** The conversation holding one of these messages (by SID or external ID), the latest first. */
  async conversationOfMessages(
    accountSid: string,
    sids: string[],
    externalIds: string[],
  ): Promise<string | undefined> {
    if (sids.length === 0 && externalIds.length === 0) return undefined;
    const row = await this.database.db
      .selectFrom("conversation_messages")
      .select("conversation_sid")
      .where("account_sid", "=", accountSid)
      .where((eb) =>
        eb.or([
          ...(sids.length ? [eb("sid", "in", sids)] : []),
          ...(externalIds.length ? [eb("external_id", "in", externalIds)] : []),
        ]),
      )
      .orderBy("date_created", "desc")
      .executeTakeFirst();
    return row?.conversation_sid;
  }

  // ------------------------------------------------------------------------------------------
  // Flows

  /**
   * The open conversation between a contact's address and ours, started (with the contact as a
   * messaging participant) when there is none: where a flow that was not started by a message
   * speaks to its contact, so the answer comes back to the same place.
   */
  async openWith(
    tx: Tx,
    accountSid: string,
    pair: { address: string; proxyAddress: string; friendlyName?: string },
  ): Promise<Conversation> {
    const open = await this.openConversationOf(tx, accountSid, pair.address, pair.proxyAddress);
    if (open) return (await this.find(tx.db, accountSid, open))!;
    const now = this.clock.now();
    const conversation = this.conversationRow(
      accountSid,
      { friendlyName: pair.friendlyName ?? pair.address },
      now,
    );
    const participant = this.participantRow(
      conversation,
      { address: pair.address, proxyAddress: pair.proxyAddress },
      now,
    );
    await this.insertStarted(tx, conversation, participant, conversationData(conversation));
    return conversation;
  }

  /** The flows a conversation's studio webhooks hand its messages to, and which revision runs. */
  async studioFlows(
    accountSid: string,
    conversationSid: string,
  ): Promise<Array<{ flowSid: string; latest: boolean }>> {
    const rows = await this.database.db
      .selectFrom("conversation_webhooks")
      .select(["flow_sid", "flow_revision"])
      .where("account_sid", "=", accountSid)
      .where("conversation_sid", "=", conversationSid)
      .where("target", "=", "studio")
      .orderBy("date_created")
      .execute();
    return rows.flatMap((row) =>
      row.flow_sid ? [{ flowSid: row.flow_sid, latest: row.flow_revision === "latest" }] : [],
    );
  }

  /** Ends flows' hold on a conversation (it was handed to an agent): its studio webhooks go. */
  async removeStudioWebhooks(tx: Tx, accountSid: string, conversationSid: string): Promise<void> {
    await tx.db
      .deleteFrom("conversation_webhooks")
      .where("account_sid", "=", accountSid)
      .where("conversation_sid", "=", conversationSid)
      .where("target", "=", "studio")
      .execute();
  }

  // ------------------------------------------------------------------------------------------
  // New rows

  private conversationRow(accountSid: string, input: ConversationInput, now: number): Conversation {
    const row: Conversation = {
      sid: this.ids.next("CH"),
      account_sid: accountSid,
      unique_name: input.uniqueName ?? null,
      friendly_name: input.friendlyName ?? null,
      attributes: input.attributes ?? "{}",
      state: input.state ?? "active",
      messaging_service_sid: input.messagingServiceSid ?? null,
      timers_inactive: input.timersInactive || null,
      timers_closed: input.timersClosed || null,
      ...NO_TIMERS,
      next_message_index: 0,
      date_created: input.dateCreated ?? isoAt(now),
      date_updated: input.dateUpdated ?? input.dateCreated ?? isoAt(now),
    };
    return { ...row, ...timersFrom(row, now) };
  }

  private participantRow(
    conversation: Conversation,
    input: ParticipantInput & { bindingType?: BindingType },
    now: number,
  ): Participant {
    return {
      sid: this.ids.next("MB"),
      account_sid: conversation.account_sid,
      conversation_sid: conversation.sid,
      identity: input.identity ?? null,
      binding_type: input.address === undefined ? null : (input.bindingType ?? bindingTypeOf(input.address)),
      address: input.address ?? null,
      proxy_address: input.proxyAddress ?? null,
      projected_address: input.projectedAddress ?? null,
      attributes: input.attributes ?? "{}",
      role_sid: input.roleSid ?? null,
      last_read_message_index: null,
      last_read_timestamp: null,
      conversation_open: 1,
      date_created: input.dateCreated ?? isoAt(now),
      date_updated: input.dateUpdated ?? input.dateCreated ?? isoAt(now),
    };
  }

  private webhookRow(conversation: Conversation, input: WebhookInput, now: number): ConversationWebhook {
    return {
      sid: this.ids.next("WH"),
      account_sid: conversation.account_sid,
      conversation_sid: conversation.sid,
      target: input.target,
      url: input.url ?? null,
      method: "POST",
      filters: JSON.stringify(input.filters ?? []),
      triggers: JSON.stringify(input.triggers ?? []),
      flow_sid: input.flowSid ?? null,
      flow_revision: input.flowRevision ?? null,
      replay_after: input.replayAfter ?? null,
      date_created: isoAt(now),
      date_updated: isoAt(now),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Plumbing

  private async find(db: Tx["db"] | Database["db"], accountSid: string, sidOrUniqueName: string) {
    return db
      .selectFrom("conversations")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where((eb) => eb.or([eb("sid", "=", sidOrUniqueName), eb("unique_name", "=", sidOrUniqueName)]))
      .executeTakeFirst();
  }

  /** The conversation as it is now inside the transaction, refusing a closed one. */
  private async openConversation(tx: Tx, conversation: Conversation): Promise<Conversation> {
    const current = await this.find(tx.db, conversation.account_sid, conversation.sid);
    if (!current || current.state === "closed") throw closedConversation(conversation.sid);
    return current;
  }

  private async assertUniqueName(tx: Tx, accountSid: string, uniqueName: string): Promise<void> {
    const taken = await tx.db
      .selectFrom("conversations")
      .select("sid")
      .where("account_sid", "=", accountSid)
      .where("unique_name", "=", uniqueName)
      .executeTakeFirst();
    if (taken) throw duplicateUniqueName(uniqueName);
  }

  private async openConversationOf(
    tx: Pick<Tx, "db"> | { db: Database["db"] },
    accountSid: string,
    address: string,
    proxyAddress: string | null,
  ): Promise<string | undefined> {
    let query = tx.db
      .selectFrom("conversation_participants")
      .select("conversation_sid")
      .where("account_sid", "=", accountSid)
      .where("conversation_open", "=", 1)
      .where("address", "=", address);
    query =
      proxyAddress === null
        ? query.where("proxy_address", "is", null)
        : query.where("proxy_address", "=", proxyAddress);
    return (await query.executeTakeFirst())?.conversation_sid;
  }

  /** Records a state change; closing frees the conversation's addresses for new conversations. */
  private async stateChanged(tx: Tx, row: Conversation, state: ConversationState): Promise<void> {
    if (state === "closed")
      await tx.db
        .updateTable("conversation_participants")
        .set({ conversation_open: 0 })
        .where("account_sid", "=", row.account_sid)
        .where("conversation_sid", "=", row.sid)
        .execute();
    await this.events.append(tx, row.account_sid, [stateDraft(row, state).draft]);
  }

  /** Runs a write; a unique violation that slipped past the checks (a concurrent writer) becomes `conflict`. */
  private async write<T>(work: (tx: Tx) => Promise<T>, conflict: Error): Promise<T> {
    try {
      return await this.database.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict;
      throw error;
    }
  }

  private async append(
    tx: Tx,
    conversation: Conversation,
    type: ConversationEventType,
    description: string,
    data: Record<string, string>,
  ): Promise<void> {
    await this.events.append(tx, conversation.account_sid, [
      draft(conversation, type, description, data).draft,
    ]);
  }
}

/** What an inbound message adds to its conversation. */
function inboundInput(inbound: InboundMessage): MessageInput {
  return {
    author: inbound.from,
    body: inbound.body,
    attributes: inbound.attributes,
    externalId: inbound.externalId,
    subject: inbound.subject,
    media: inbound.media,
  };
}

/** How many of `items` each conversation takes; refuses a conversation closed (or gone) in `current`. */
function messageCounts(
  items: ReadonlyArray<{ conversation: Conversation }>,
  current: ReadonlyMap<string, Conversation>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { conversation } of items) {
    const row = current.get(conversation.sid);
    if (!row || row.state === "closed") throw closedConversation(conversation.sid);
    counts.set(row.sid, (counts.get(row.sid) ?? 0) + 1);
  }
  return counts;
}

/** The events of added messages: each one's, then the re-activation of each inactive conversation. */
function messageEvents(
  rows: Message[],
  current: ReadonlyMap<string, Conversation>,
): Array<{ accountSid: string; draft: EventDraft }> {
  const events = rows.map((row) =>
    draft(
      current.get(row.conversation_sid)!,
      "conversation.message.added",
      "Message added",
      messageData(row),
    ),
  );
  for (const row of new Set(rows.map((message) => current.get(message.conversation_sid)!)))
    if (row.state === "inactive") events.push(stateDraft(row, "active"));
  return events;
}

/**
 * The condition of a one-statement inbound append (`receiveIntoOpenConversations`): every
 * conversation's counter still at `index_from` and the conversation not closed, its row locked to
 * the commit. When it holds, the counters move to `index_to`, the conversations are active and their
 * timers restart.
 */
function countersMoved(
  moves: Array<{
    account_sid: string;
    sid: string;
    index_from: number;
    index_to: number;
    date_updated: string;
    date_inactive: string | null;
    date_closed: string | null;
  }>,
) {
  return sql`moves as (
      select * from json_to_recordset(${JSON.stringify(moves)}::json) as m(account_sid text, sid text,
        index_from integer, index_to integer, date_updated text, date_inactive text, date_closed text)),
    unmoved as (
      select c.sid from conversations c join moves m on c.account_sid = m.account_sid and c.sid = m.sid
      where c.next_message_index = m.index_from and c.state <> 'closed'
      for update of c),
    condition as (select from unmoved having count(*) = ${sql.lit(moves.length)}),
    moved as (
      update conversations c set next_message_index = m.index_to, state = 'active',
        date_updated = m.date_updated, date_inactive = m.date_inactive, date_closed = m.date_closed
      from moves m, condition where c.account_sid = m.account_sid and c.sid = m.sid)`;
}

/** A conversation event, with the account it is appended to. */
function draft(
  conversation: Conversation,
  type: ConversationEventType,
  description: string,
  data: Record<string, string>,
): { accountSid: string; draft: EventDraft } {
  return {
    accountSid: conversation.account_sid,
    draft: {
      eventType: type,
      resourceType: type.split(".").length > 2 ? type.split(".")[1]! : "conversation",
      resourceSid: data.MessageSid ?? data.ParticipantSid ?? conversation.sid,
      description,
      scopeSid: conversation.sid,
      data: { ...data, EventType: CONVERSATION_EVENTS[type], Source: "API" },
    },
  };
}

function stateDraft(row: Conversation, state: ConversationState): { accountSid: string; draft: EventDraft } {
  return draft(row, "conversation.state-updated", `Conversation ${state}`, {
    ...conversationData(row),
    StateFrom: row.state,
    StateTo: state,
    Reason: "API",
  });
}

/** Timer due dates from the conversation's timers, counted from `now` (its last activity). */
function timersFrom(row: Conversation, now: number): Pick<Conversation, "date_inactive" | "date_closed"> {
  if (row.state === "closed") return NO_TIMERS;
  const inactive = row.timers_inactive ? durationMs(row.timers_inactive) : undefined;
  const closed = row.timers_closed ? durationMs(row.timers_closed) : undefined;
  return {
    date_inactive: inactive !== undefined && row.state === "active" ? isoAt(now + inactive) : null,
    date_closed: closed !== undefined ? isoAt(now + closed) : null,
  };
}

/** Stored attributes (JSON text) as an object; anything else (absent, not an object) as {}. */
export function parsedAttributes(text: string | null | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? "{}");
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The channel of a customer address, from its form (`whatsapp:+1…`, `messenger:…`, `a@b`, `+1…`). */
export function bindingTypeOf(address: string): BindingType {
  if (address.startsWith("whatsapp:")) return "whatsapp";
  if (address.startsWith("messenger:")) return "messenger";
  if (address.includes("@")) return "email";
  return "sms";
}

function conversationData(row: Conversation): Record<string, string> {
  return {
    ConversationSid: row.sid,
    FriendlyName: row.friendly_name ?? "",
    UniqueName: row.unique_name ?? "",
    Attributes: row.attributes,
    State: row.state,
    DateCreated: row.date_created,
    ...(row.messaging_service_sid && { MessagingServiceSid: row.messaging_service_sid }),
  };
}

function participantData(row: Participant): Record<string, string> {
  return {
    ConversationSid: row.conversation_sid,
    ParticipantSid: row.sid,
    Attributes: row.attributes,
    DateCreated: row.date_created,
    ...(row.identity !== null && { Identity: row.identity }),
    ...(row.address !== null && { "MessagingBinding.Address": row.address }),
    ...(row.proxy_address !== null && { "MessagingBinding.ProxyAddress": row.proxy_address }),
    ...(row.projected_address !== null && { "MessagingBinding.ProjectedAddress": row.projected_address }),
    ...(row.last_read_message_index !== null && {
      LastReadMessageIndex: String(row.last_read_message_index),
    }),
  };
}

function messageData(row: Message): Record<string, string> {
  return {
    ConversationSid: row.conversation_sid,
    MessageSid: row.sid,
    Index: String(row.message_index),
    Author: row.author,
    Body: row.body ?? "",
    Attributes: row.attributes,
    DateCreated: row.date_created,
    ...(row.participant_sid !== null && { ParticipantSid: row.participant_sid }),
    ...(row.media !== null && { Media: row.media }),
  };
}
