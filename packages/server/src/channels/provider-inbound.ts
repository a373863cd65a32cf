import { NoConversationError } from "../conversations/errors.ts";
import type { InboundRouter } from "../conversations/inbound.ts";
import { bindingTypeOf } from "../conversations/store.ts";
import type { Provider } from "../messaging/providers.ts";
import type { MessageStore } from "../messaging/store.ts";

/** A customer's message as a provider brought it in (SMS, WhatsApp, Messenger). */
export interface ProviderInbound {
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  /** The provider's ID for it: a redelivered webhook with the same ID adds nothing. */
  providerMessageId: string;
  /** Files the customer sent, already in the media store (SIDs uploaded as the customer). */
  media?: string[];
  /** What else the provider said about it (a WhatsApp media ID, a button's payload). */
  attributes?: Record<string, unknown>;
  /** Facts about the customer for a conversation this message starts (their profile name). */
  customer?: Record<string, unknown>;
}

/**
 * How provider-backed channels take a customer's message: recorded once per provider message ID
 * (it shows in the Messages list and opens the service window), then into the sender's open
 * conversation with our address or a new one its address configuration starts. An address with no
 * configuration keeps the plain message; the provider is not asked to resend it.
 */
export function providerInbound(
  messages: MessageStore,
  inbound: InboundRouter,
): (provider: Provider, message: ProviderInbound) => Promise<void> {
  return async (provider, message) => {
    const channel = bindingTypeOf(message.from);
    await messages.receive(provider.account_sid, {
      providerSid: provider.sid,
      channel,
      from: message.from,
      to: message.to,
      body: message.body,
      mediaUrls: message.mediaUrls,
      providerMessageId: message.providerMessageId,
    });
    const attributes = {
      ...message.attributes,
      ...(message.mediaUrls?.length && { media_urls: message.mediaUrls }),
    };
    try {
      await inbound.receive(provider.account_sid, {
        channel,
        from: message.from,
        to: message.to,
        body: message.body,
        externalId: `${provider.sid}:${message.providerMessageId}`,
        ...(message.media?.length && { media: message.media }),
        ...(Object.keys(attributes).length > 0 && { attributes: JSON.stringify(attributes) }),
        ...(message.customer && { conversationAttributes: JSON.stringify(message.customer) }),
      });
    } catch (error) {
      if (!(error instanceof NoConversationError)) throw error;
    }
  };
}
