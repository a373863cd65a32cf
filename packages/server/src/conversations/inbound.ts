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

interface Lane {
  queue: Pending[];
  draining: Promise<void> | undefined;
}

/** A lane for `key` (FNV-1a of its characters): the same key always gets the same lane. */
function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/**
 * Where every channel adapter hands its inbound messages: into the conversation the sender already
 * has with that address of ours, or a new one started as the address's configuration says.
 *
 * Messages that arrive in the same turn of the event loop are stored in one transaction (group
 * commit: one fsync for many customers). If that transaction fails — one message refused, or a
 * race lost on a unique row — each message of the batch is tried again in a transaction of its own,
 * so one bad message never costs the others theirs. A lost race retried alone finds the winner's rows.
 *
 * Messages queue in `lanes` lanes, each committing one batch at a time, so that a database that
 * takes writers side by side (Postgres) is not left waiting on one transaction's round trips. A
 * sender's messages always take the same lane (by account and sender address), so they are stored
 * in the order they came; senders in different lanes have no order between them to keep.
 */
export class InboundRouter {
  private readonly lanes: Lane[];

  constructor(
    private readonly conversations: ConversationStore,
    private readonly addresses: AddressStore,
    lanes = 1,
  ) {
    this.lanes = Array.from({ length: lanes }, () => ({ queue: [], draining: undefined }));
  }

  /** The configuration of one of our addresses, for adapters that check it before any message. */
  addressOf(accountSid: string, type: AddressType, address: string): Promise<Address | undefined> {
    return this.addresses.find(accountSid, type, address);
  }

  /** Every account's configuration of one of our addresses: who a message to it (an email) is for. */
  configurationsOf(type: AddressType, address: string): Promise<Address[]> {
    return this.addresses.everywhere(type, address);
  }

  receive(accountSid: string, inbound: InboundMessage): Promise<Received> {
    const lane = this.lanes[laneOf(`${accountSid} ${inbound.from}`, this.lanes.length)]!;
    return new Promise((resolve, reject) => {
      lane.queue.push({ accountSid, inbound, resolve, reject });
      lane.draining ??= this.drain(lane);
    });
  }

  private async drain(lane: Lane): Promise<void> {
    // Let the rest of this I/O turn queue its messages too.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, BATCH);
        try {
          const received = await this.store(batch);
          batch.forEach((pending, i) => pending.resolve(received[i]!));
        } catch {
          for (const pending of batch) await this.alone(pending);
        }
      }
    } finally {
      lane.draining = undefined;
    }
    if (lane.queue.length > 0) lane.draining = this.drain(lane);
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
