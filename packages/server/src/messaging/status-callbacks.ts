import type { StoredEvent } from "../platform/events/event-log.ts";
import type { ExternalSubscription } from "../webhooks/store.ts";
import type { MessageStore } from "./store.ts";

/**
 * A message's StatusCallback as an outbox subscription: it receives that message's `message.status`
 * events, delivered, signed and retried like every other webhook, and in order: statuses applied in
 * one go (a provider's reports that overtook its answer to the send) would otherwise be posted side
 * by side, and a receiver could see "undelivered" before "sent".
 */
export async function statusCallbackSubscriptions(
  messages: MessageStore,
  events: StoredEvent[],
): Promise<ExternalSubscription[]> {
  const statuses = events.filter((e) => e.eventType === "message.status");
  if (statuses.length === 0) return [];
  const rows = await messages.withStatusCallbacks(
    [...new Set(statuses.map((e) => e.accountSid))],
    [...new Set(statuses.map((e) => e.resourceSid))],
  );
  return rows.map((row) => ({
    sid: row.sid,
    accountSid: row.account_sid,
    url: row.status_callback,
    eventTypes: ["message.status"],
    scopeSid: row.sid,
    dateCreated: row.date_created,
    ordered: true,
  }));
}
