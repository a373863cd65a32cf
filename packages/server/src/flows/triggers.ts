import type { ExecutionState, TriggerEvent } from "@switchboard/engine";
import type { Logger } from "pino";
import { parsedAttributes, type ConversationStore } from "../conversations/store.ts";
import type { Database } from "../platform/db/database.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { EventConsumer } from "../platform/events/event-consumer.ts";
import { StaleExecution, type ExecutionStore } from "./executions.ts";
import type { FlowRunner } from "./runner.ts";
import type { FlowStore } from "./store.ts";

const CONSUMER = "flows.conversations";
const RACE_RETRIES = 5;

/**
 * Hands conversation messages to flows. A message from a participant goes to the conversation's
 * execution waiting for that contact's reply; failing that, a conversation with a studio webhook
 * (an address bound to a flow, or a webhook added through the API) starts an execution of the
 * flow — unless one is already running there. A message that could not be delivered to the contact
 * moves an execution waiting for the answer to it down its deliveryFailure path.
 *
 * It reads the event log by cursor, and each execution's move commits with the cursor, so a message
 * moves an execution once, across crashes and restarts.
 */
export class FlowTriggers {
  private readonly consumer: EventConsumer;

  constructor(
    private readonly database: Database,
    events: EventLog,
    cursors: ConsumerCursors,
    private readonly conversations: ConversationStore,
    private readonly flows: FlowStore,
    private readonly executions: ExecutionStore,
    private readonly runner: FlowRunner,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.consumer = new EventConsumer(
      CONSUMER,
      events,
      cursors,
      (batch) => this.take(batch),
      logger,
      pollIntervalMs,
    );
  }

  start(): void {
    this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /**
   * Most conversations have nothing to do with flows (an agent's chat, a plain SMS thread): one
   * query per batch finds the few that do, and only their events are looked at closely.
   */
  private async take(batch: StoredEvent[]): Promise<void> {
    const relevant = batch.filter(
      (event) =>
        (event.eventType === "conversation.message.added" && event.data.ParticipantSid) ||
        (event.eventType === "conversation.delivery.updated" &&
          (event.data.Status === "failed" || event.data.Status === "undelivered")),
    );
    if (relevant.length === 0) return;
    const withFlows = await this.executions.conversationsWithFlows(
      [...new Set(relevant.map((event) => event.accountSid))],
      [...new Set(relevant.map((event) => event.data.ConversationSid!))],
    );
    for (const event of relevant) {
      if (!withFlows.has(event.data.ConversationSid!)) continue;
      if (event.eventType === "conversation.message.added")
        await this.retried(event, () => this.onMessage(event));
      else await this.retried(event, () => this.onUndelivered(event));
    }
  }

  /** Runs `work` again when another writer moved the execution first. */
  private async retried(event: StoredEvent, work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof StaleExecution)) throw error;
        if (attempt >= RACE_RETRIES) {
          this.logger.warn({ event: event.sid }, "gave up moving a flow execution that kept changing");
          return;
        }
      }
    }
  }

  private async onMessage(event: StoredEvent): Promise<void> {
    const accountSid = event.accountSid;
    const conversationSid = event.data.ConversationSid!;
    const author = event.data.Author ?? "";
    const message = {
      Body: event.data.Body ?? "",
      Author: author,
      From: author,
      MessageSid: event.data.MessageSid,
      ConversationSid: conversationSid,
      ParticipantSid: event.data.ParticipantSid,
      Index: event.data.Index,
      Attributes: event.data.Attributes,
      DateCreated: event.data.DateCreated,
      ...(event.data.Media && { Media: JSON.parse(event.data.Media) as unknown }),
    };
    const active = await this.executions.activeIn(accountSid, conversationSid);
    const waiting = active.find((row) => row.waiting === "reply" && row.contact_channel_address === author);
    if (waiting) {
      const { kicks } = await this.database.transaction(async (tx) => {
        const moved = await this.runner.advance(tx, waiting, { kind: "reply", inbound: message });
        await this.consumer.advanceIn(tx, event);
        return moved;
      });
      this.runner.kick(kicks);
      return;
    }
    // A flow busy with an effect, or waiting on someone else, keeps the conversation to itself.
    if (active.length > 0) return;
    const [bound] = await this.conversations.studioFlows(accountSid, conversationSid);
    if (!bound) return;
    const flow = await this.flows.get(accountSid, bound.flowSid);
    const revision =
      flow &&
      (bound.latest
        ? await this.runner.latestValid(accountSid, flow)
        : await this.runner.revisionFor(accountSid, flow, author));
    if (!revision) {
      this.logger.warn(
        { flow: bound.flowSid, conversation: conversationSid },
        "conversation bound to a flow with nothing published",
      );
      return;
    }
    const startEvent = (["incomingConversationMessage", "incomingMessage"] as TriggerEvent[]).find(
      (candidate) => this.runner.startsOn(revision, candidate),
    );
    if (!startEvent) return;
    const conversation = await this.conversations.get(accountSid, conversationSid);
    const participant =
      conversation && (await this.conversations.getParticipant(conversation, event.data.ParticipantSid!));
    const ours = participant?.proxy_address ?? "";
    const { kicks } = await this.database.transaction(async (tx) => {
      const launched = await this.runner.launch(tx, {
        accountSid,
        revision,
        event: startEvent,
        trigger: {
          // The conversation's attributes (a web chat's pre-chat answers) as Studio names them.
          conversation: { ...message, ChannelAttributes: parsedAttributes(conversation?.attributes) },
          // Flows written for Programmable Messaging and Chat read the message here.
          message: {
            ...message,
            To: ours,
            ChannelSid: conversationSid,
            ChannelAttributes: parsedAttributes(conversation?.attributes),
          },
        },
        contactAddress: author,
        channelAddress: ours,
        data: {},
        conversationSid,
        parentSid: null,
        initiatedBy: event.data.MessageSid ?? conversationSid,
      });
      await this.consumer.advanceIn(tx, event);
      return launched;
    });
    this.runner.kick(kicks);
  }

  private async onUndelivered(event: StoredEvent): Promise<void> {
    const active = await this.executions.activeIn(event.accountSid, event.data.ConversationSid!);
    const waiting = active.find((row) => {
      if (row.waiting !== "reply") return false;
      const { wait, context } = JSON.parse(row.state) as ExecutionState;
      if (wait?.kind !== "reply") return false;
      const outbound = context.widgets[wait.widget]?.outbound as { Sid?: string } | undefined;
      return outbound?.Sid === event.data.MessageSid;
    });
    if (!waiting) return;
    const { kicks } = await this.database.transaction(async (tx) => {
      const moved = await this.runner.advance(tx, waiting, {
        kind: "undelivered",
        error: `The message could not be delivered (error ${event.data.ErrorCode ?? "unknown"})`,
      });
      await this.consumer.advanceIn(tx, event);
      return moved;
    });
    this.runner.kick(kicks);
  }
}
