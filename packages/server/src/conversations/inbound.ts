import { isUniqueViolation } from "../platform/db/database.ts";
import type { AddressType } from "../platform/db/schema.ts";
import type { Address, AddressStore } from "./addresses.ts";
import type { Conversation, ConversationStore, InboundMessage, Message } from "./store.ts";

export interface Received {
  conversation: Conversation;
  message: Message;
  /** True when the channel delivered this message before: nothing was added. */
  duplicate: boolean;
}

/**
 * Where every channel adapter hands its inbound messages: into the conversation the sender already
 * has with that address of ours, or a new one started as the address's configuration says.
 */
export class InboundRouter {
  constructor(
    private readonly conversations: ConversationStore,
    private readonly addresses: AddressStore,
  ) {}

  /** The configuration of one of our addresses, for adapters that check it before any message. */
  addressOf(accountSid: string, type: AddressType, address: string): Promise<Address | undefined> {
    return this.addresses.find(accountSid, type, address);
  }

  async receive(accountSid: string, message: InboundMessage): Promise<Received> {
    const address = await this.addresses.find(accountSid, message.channel, message.to);
    try {
      return await this.conversations.receive(accountSid, message, address);
    } catch (error) {
      // A concurrent delivery of the same message, or a first message from the same sender, won
      // the race for a unique row; once it has committed, trying again finds its rows.
      if (!isUniqueViolation(error)) throw error;
      return this.conversations.receive(accountSid, message, address);
    }
  }
}
