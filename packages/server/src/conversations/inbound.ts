import { isUniqueViolation } from "../platform/db/database.ts";
import type { AddressType } from "../platform/db/schema.ts";
import type { Address, AddressStore } from "./addresses.ts";
import type { ConversationStore, InboundMessage, Received } from "./store.ts";

interface Pending {
  accountSid: string;
  inbound: InboundMessage;
  resolve(received: Received): void;
  reject(error: unknown): void;
}

/** The most messages one commit takes. */
const BATCH = 200;

/**
 * Where every channel adapter hands its inbound messages: into the conversation the sender already
 * has with that address of ours, or a new one started as the address's configuration says.
 *
 * Messages that arrive in the same turn of the event loop are stored in one transaction (group
 * commit: one fsync for many customers). If that transaction fails — one message refused, or a
 * race lost on a unique row — each message of the batch is tried again in a transaction of its own,
 * so one bad message never costs the others theirs. A lost race retried alone finds the winner's rows.
 */
export class InboundRouter {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly conversations: ConversationStore,
    private readonly addresses: AddressStore,
  ) {}

  /** The configuration of one of our addresses, for adapters that check it before any message. */
  addressOf(accountSid: string, type: AddressType, address: string): Promise<Address | undefined> {
    return this.addresses.find(accountSid, type, address);
  }

  /** Every account's configuration of one of our addresses: who a message to it (an email) is for. */
  configurationsOf(type: AddressType, address: string): Promise<Address[]> {
    return this.addresses.everywhere(type, address);
  }

  receive(accountSid: string, inbound: InboundMessage): Promise<Received> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accountSid, inbound, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the rest of this I/O turn queue its messages too.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, BATCH);
        try {
          const received = await this.store(batch);
          batch.forEach((pending, i) => pending.resolve(received[i]!));
        } catch {
          for (const pending of batch) await this.alone(pending);
        }
      }
    } finally {
      this.draining = undefined;
    }
    if (this.queue.length > 0) this.draining = this.drain();
  }

  private async alone(pending: Pending): Promise<void> {
    try {
      const [received] = await this.store([pending]);
      pending.resolve(received!);
    } catch (error) {
      if (!isUniqueViolation(error)) return pending.reject(error);
      // Another writer (a second node) won a race for a unique row; its rows are committed now.
      try {
        const [received] = await this.store([pending]);
        pending.resolve(received!);
      } catch (again) {
        pending.reject(again);
      }
    }
  }

  private store(batch: Pending[]): Promise<Received[]> {
    return this.conversations.receive(batch, (db, accountSid, inbound) =>
      this.addresses.find(accountSid, inbound.channel, inbound.to, db),
    );
  }
}
