import { RoutingError } from "@switchboard/engine";
import type { Logger } from "pino";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { EventConsumer } from "../platform/events/event-consumer.ts";
import type { RoutingService } from "../routing/service.ts";
import type { AddressStore } from "./addresses.ts";
import { parsedAttributes } from "./store.ts";

const CONSUMER = "conversations.tasks";

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
  private readonly consumer: EventConsumer;

  constructor(
    events: EventLog,
    cursors: ConsumerCursors,
    private readonly addresses: AddressStore,
    private readonly routing: RoutingService,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.consumer = new EventConsumer(
      CONSUMER,
      events,
      cursors,
      async (batch) => {
        for (const event of batch)
          if (event.eventType === "conversation.added" && event.data.AddressSid) await this.createTask(event);
      },
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
                ...parsedAttributes(event.data.Attributes),
                conversationSid: event.resourceSid,
                channelType,
                from,
                customerAddress: from,
                direction: "inbound",
              },
            },
          },
        ],
        (tx) => this.consumer.advanceIn(tx, event),
      )
      .catch(refused);
  }
}
