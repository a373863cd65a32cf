import type { StoredEvent } from "../platform/events/event-log.ts";
import type { ExternalSubscription } from "../webhooks/store.ts";
import { CONVERSATION_EVENTS, type ConversationEventType, type ConversationStore } from "./store.ts";

const EVENT_TYPE_OF = new Map(
  Object.entries(CONVERSATION_EVENTS).map(([type, twilioName]) => [twilioName as string, type]),
);
const ALL_EVENT_TYPES = Object.keys(CONVERSATION_EVENTS) as ConversationEventType[];

/**
 * Conversation-scoped webhooks as outbox subscriptions: each receives its conversation's events,
 * delivered, signed and retried like every other webhook.
 * - `webhook`: the events named in its filters (Twilio's names), every conversation event without filters;
 * - `trigger`: new messages whose first word is one of its keywords, in any case.
 */
export async function conversationSubscriptions(
  store: ConversationStore,
  events: StoredEvent[],
): Promise<ExternalSubscription[]> {
  // Only the conversations this batch speaks of: most batches (routing's) have none, and cost nothing.
  const conversations = events.filter((e) => e.eventType.startsWith("conversation.") && e.scopeSid !== null);
  if (conversations.length === 0) return [];
  const webhooks = await store.deliveryWebhooks(
    [...new Set(conversations.map((e) => e.accountSid))],
    [...new Set(conversations.map((e) => e.scopeSid!))],
  );
  return webhooks.map((webhook) => {
    const base = {
      sid: webhook.sid,
      accountSid: webhook.account_sid,
      url: webhook.url!,
      scopeSid: webhook.conversation_sid,
      dateCreated: webhook.date_created,
    };
    if (webhook.target === "trigger") {
      const keywords = (JSON.parse(webhook.triggers) as string[]).map((k) => k.toLowerCase());
      return {
        ...base,
        eventTypes: ["conversation.message.added"],
        accepts: (event: StoredEvent) => keywords.includes(firstWord(event.data.Body ?? "")),
      };
    }
    const filters = JSON.parse(webhook.filters) as string[];
    const eventTypes = filters.map((name) => EVENT_TYPE_OF.get(name)).filter((t) => t !== undefined);
    return { ...base, eventTypes: eventTypes.length ? eventTypes : ALL_EVENT_TYPES };
  });
}

function firstWord(body: string): string {
  return body.trim().split(/\s+/, 1)[0]!.toLowerCase();
}
