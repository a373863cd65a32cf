import type { Logger } from "pino";
import type { Database, Tx } from "../db/database.ts";
import type { ConsumerCursors } from "./cursors.ts";
import type { EventLog, StoredEvent } from "./event-log.ts";
import { Passes } from "./passes.ts";

const BATCH = 200;

/**
 * Hands every event of the log, in order, to `handle`, remembering how far it got under `name`.
 *
 * A handler that commits work for an event moves the cursor in that same transaction (`advanceIn`),
 * so the work happens once across crashes and restarts. Events that needed no work are passed over
 * by saving the cursor after the batch: re-reading them after a crash does nothing either.
 */
export class EventConsumer {
  private readonly passes: Passes;
  private position: number | undefined;

  constructor(
    private readonly name: string,
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly handle: (event: StoredEvent) => Promise<void>,
    logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.passes = new Passes(
      () => this.read(),
      (error) => logger.error({ err: error, consumer: name }, "event consumer pass failed"),
    );
  }

  start(): void {
    this.passes.follow(this.events.appended, "appended", this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    await this.passes.stop();
  }

  /** Moves the cursor past `event` inside the transaction that did its work. */
  advanceIn(tx: Tx | { db: Database["db"] }, event: StoredEvent): Promise<void> {
    return this.cursors.advance(tx.db, this.name, event.seq);
  }

  private async read(): Promise<void> {
    this.position ??= await this.cursors.position(this.name);
    const start = this.position;
    for (;;) {
      const batch = await this.events.readAfter(this.position, BATCH);
      for (const event of batch) {
        await this.handle(event);
        this.position = event.seq;
      }
      if (batch.length < BATCH) break;
    }
    if (this.position > start) await this.cursors.save(this.name, this.position);
  }
}
