import type { Logger } from "pino";
import type { ConversationStore } from "../../conversations/store.ts";
import type { TypingRelay } from "../../conversations/typing.ts";
import { mediaOf, type MediaRef } from "../../media/store.ts";
import type { EventLog, StoredEvent } from "../../platform/events/event-log.ts";
import { Passes } from "../../platform/events/passes.ts";
import { iso8601 } from "../../platform/time.ts";

/** What the server sends a visitor's socket. */
export type VisitorFrame =
  | { type: "ready"; identity: string; conversation_sid: string | null }
  | {
      type: "message";
      sid: string;
      index: number;
      author: string;
      body: string;
      attributes: string;
      /** Each file with a link (a path on this server) that works without credentials for a day. */
      media?: Array<MediaRef & { url: string }>;
      date_created: string;
    }
  | { type: "ack"; client_id: string; sid: string; index: number; duplicate: boolean }
  | { type: "read"; participant_sid: string; index: number }
  | { type: "state"; state: string }
  | { type: "typing"; identity: string }
  | { type: "error"; client_id?: string; code: number; message: string };

/** One connected visitor socket. */
export interface Visitor {
  accountSid: string;
  identity: string;
  /** The highest message index this socket has been sent: messages are never sent twice. */
  lastIndex: number;
  send(frame: VisitorFrame): void;
}

const BATCH = 1000;
const PAGE = 200;

/**
 * Pushes each conversation's new messages (and read marks and state changes) to the visitors
 * watching it, reading the event log once for all of them.
 *
 * A visitor joins a conversation before it catches up from the database, and every message frame
 * carries its index: a message committed before the join is in the catch-up, one committed after
 * comes live, one in both is sent once (`lastIndex`). So a visitor resuming after index N gets every
 * later message exactly once, in order.
 */
export class VisitorHub {
  private position = 0;
  private readonly watching = new Map<string, Set<Visitor>>();
  private readonly passes: Passes;
  private unsubscribeTyping: (() => void) | undefined;
  private readonly wake = () => this.passes.request();

  constructor(
    private readonly events: EventLog,
    private readonly conversations: ConversationStore,
    private readonly typing: TypingRelay,
    private readonly mediaLink: (mediaSid: string) => string,
    logger: Logger,
  ) {
    this.passes = new Passes(
      () => this.pump(),
      (error) => logger.error({ err: error }, "web chat pass failed"),
    );
  }

  async start(): Promise<void> {
    this.position = await this.events.head();
    this.events.appended.on("appended", this.wake);
    this.unsubscribeTyping = this.typing.subscribe(({ accountSid, conversationSid, identity }) => {
      for (const visitor of this.watching.get(conversationSid) ?? [])
        if (visitor.accountSid === accountSid && visitor.identity !== identity)
          visitor.send({ type: "typing", identity });
    });
  }

  async stop(): Promise<void> {
    this.events.appended.off("appended", this.wake);
    this.unsubscribeTyping?.();
    await this.passes.stop();
    this.watching.clear();
  }

  /** Starts sending the conversation's messages after `after` to the visitor, history first. */
  async watch(visitor: Visitor, conversationSid: string, after: number): Promise<void> {
    visitor.lastIndex = Math.max(visitor.lastIndex, after);
    let set = this.watching.get(conversationSid);
    if (!set) this.watching.set(conversationSid, (set = new Set()));
    set.add(visitor);
    const conversation = await this.conversations.get(visitor.accountSid, conversationSid);
    if (!conversation) return;
    let request = {
      pageSize: PAGE,
      page: 0,
      after: [visitor.lastIndex] as Array<string | number>,
      offset: 0,
    };
    for (;;) {
      const page = await this.conversations.listMessages(conversation, "asc", request);
      for (const message of page.items)
        this.sendMessage(visitor, {
          sid: message.sid,
          index: message.message_index,
          author: message.author,
          body: message.body ?? "",
          attributes: message.attributes,
          media: message.media,
          dateCreated: message.date_created,
        });
      if (!page.nextKey) break;
      request = { ...request, after: page.nextKey };
    }
  }

  /** Stops sending the conversation to the visitor (its socket closed). */
  forget(visitor: Visitor, conversationSid: string): void {
    const set = this.watching.get(conversationSid);
    if (set?.delete(visitor) && set.size === 0) this.watching.delete(conversationSid);
  }

  private async pump(): Promise<void> {
    for (;;) {
      const batch = await this.events.readAfter(this.position, BATCH);
      for (const event of batch) {
        const visitors = event.scopeSid ? this.watching.get(event.scopeSid) : undefined;
        if (visitors) for (const visitor of visitors) this.deliver(visitor, event);
      }
      const last = batch.at(-1);
      if (last) this.position = last.seq;
      if (batch.length < BATCH) return;
    }
  }

  private deliver(visitor: Visitor, event: StoredEvent): void {
    if (event.accountSid !== visitor.accountSid) return;
    const data = event.data;
    switch (event.eventType) {
      case "conversation.message.added":
        this.sendMessage(visitor, {
          sid: data.MessageSid!,
          index: Number(data.Index),
          author: data.Author!,
          body: data.Body ?? "",
          attributes: data.Attributes ?? "{}",
          media: data.Media ?? null,
          dateCreated: data.DateCreated!,
        });
        break;
      case "conversation.participant.updated":
        if (data.LastReadMessageIndex !== undefined)
          visitor.send({
            type: "read",
            participant_sid: data.ParticipantSid!,
            index: Number(data.LastReadMessageIndex),
          });
        break;
      case "conversation.state-updated":
        visitor.send({ type: "state", state: data.StateTo! });
        break;
    }
  }

  private sendMessage(
    visitor: Visitor,
    m: {
      sid: string;
      index: number;
      author: string;
      body: string;
      attributes: string;
      media: string | null;
      dateCreated: string;
    },
  ): void {
    if (m.index <= visitor.lastIndex) return;
    visitor.lastIndex = m.index;
    visitor.send({
      type: "message",
      sid: m.sid,
      index: m.index,
      author: m.author,
      body: m.body,
      attributes: m.attributes,
      ...(m.media !== null && {
        media: mediaOf(m.media).map((ref) => ({ ...ref, url: this.mediaLink(ref.sid) })),
      }),
      date_created: iso8601(m.dateCreated),
    });
  }
}
