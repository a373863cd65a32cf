import { RoutingError } from "@switchboard/engine";
import type { Logger } from "pino";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import type { RoutingService } from "../routing/service.ts";
import type { AddressStore } from "./addresses.ts";

const CONSUMER = "conversations.tasks";
const BATCH = 200;

/** The task channel a conversation on each kind of address goes to, unless its configuration names one. */
const DEFAULT_TASK_CHANNEL: Record<string, string> = { sms: "sms", email: "email" };

/**
 * Turns each conversation that an address configuration started into a TaskRouter task on the
 * configured workflow, with the attributes Flex gives conversation tasks (conversationSid,
 * channelType, from, direction, customerAddress).
 *
 * It reads the event log by cursor and moves the cursor inside the routing commit that creates the
 * task, so every such conversation gets exactly one task, across crashes and restarts.
 */
export class ConversationTasks {
  private readonly passes: Passes;
  private position: number | undefined;

  constructor(
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly addresses: AddressStore,
    private readonly routing: RoutingService,
    private readonly logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.passes = new Passes(
      () => this.read(),
      (error) => this.logger.error({ err: error }, "conversation task pass failed"),
    );
  }

  start(): void {
    this.passes.follow(this.events.appended, "appended", this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    await this.passes.stop();
  }

  private async read(): Promise<void> {
    this.position ??= await this.cursors.position(CONSUMER);
    const start = this.position;
    for (;;) {
      const batch = await this.events.readAfter(this.position, BATCH);
      for (const event of batch) {
        if (event.eventType === "conversation.added" && event.data.AddressSid) await this.createTask(event);
        this.position = event.seq;
      }
      if (batch.length < BATCH) break;
    }
    // Events that made no task: re-reading them after a crash makes none either.
    if (this.position > start) await this.cursors.save(CONSUMER, this.position);
  }

  private async createTask(event: StoredEvent): Promise<void> {
    const address = await this.addresses.get(event.accountSid, event.data.AddressSid!);
    const binding = address?.auto_creation;
    if (!address || !binding?.workflow_sid || !binding.workspace_sid) return;
    const entry = this.routing.get(event.accountSid, binding.workspace_sid);
    if (!entry) {
      this.logger.warn(
        { address: address.sid, workspace: binding.workspace_sid },
        "address routes to a missing workspace",
      );
      return;
    }
    const channelType = event.data.ChannelType ?? address.type;
    const from = event.data.From ?? "";
    const refused = (error: unknown) => {
      // The engine refused (the workflow was deleted, say): retrying would refuse again.
      if (!(error instanceof RoutingError)) throw error;
      this.logger.warn({ err: error, conversation: event.resourceSid }, "conversation task refused");
    };
    await entry.router
      .submit(
        [
          {
            op: "createTask",
            task: {
              workflowSid: binding.workflow_sid,
              channel: binding.task_channel ?? DEFAULT_TASK_CHANNEL[channelType] ?? "chat",
              attributes: {
                // What the conversation started with (a web chat's name and pre-chat answers), then
                // the routing facts, which always win.
                ...conversationAttributes(event.data.Attributes),
                conversationSid: event.resourceSid,
                channelType,
                from,
                customerAddress: from,
                direction: "inbound",
              },
            },
          },
        ],
        (tx) => this.cursors.advance(tx.db, CONSUMER, event.seq),
      )
      .catch(refused);
  }
}

function conversationAttributes(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? "{}");
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
