import type { Logger } from "pino";
import type { Database, Tx } from "../db/database.ts";
import type { ConsumerCursors } from "./cursors.ts";
import type { EventLog, StoredEvent } from "./event-log.ts";
import { Passes } from "./passes.ts";

/** Events handed to the handler at a time, unless the consumer asks for another size. */
const BATCH = 200;
const IDLE_CURSOR_SAVE_MS = 1_000;

/**
 * Hands the events of the log, in order and in batches, to `handle`, remembering how far it got
 * under `name`. A batch lets a consumer ask the database once about many events.
 *
 * A handler that commits work for an event moves the cursor in that same transaction (`advanceIn`),
 * so the work happens once across crashes and restarts. Events that needed no work move the cursor
 * in memory, saved about once a second and on stop: re-reading them after a crash does nothing
 * either, and saving after every pass would cost SQLite a commit (an fsync) each time.
 */
export class EventConsumer {
  private readonly passes: Passes;
  private position: number | undefined;
  /** The position last saved outside a handler's transaction, and when. */
  private saved = 0;
  private savedAt = 0;

  constructor(
    private readonly name: string,
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly handle: (batch: StoredEvent[]) => Promise<void>,
    logger: Logger,
    private readonly pollIntervalMs: number,
    /** `batch`: events per handler call; `minIntervalMs`: see `Passes`. */
    private readonly options: { batch?: number; minIntervalMs?: number } = {},
  ) {
    this.passes = new Passes(
      () => this.read(),
      (error) => logger.error({ err: error, consumer: name }, "event consumer pass failed"),
      options.minIntervalMs,
    );
  }

  start(): void {
    this.passes.follow(this.events.appended, "appended", this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    await this.passes.stop();
    if (this.position !== undefined && this.position > this.saved) await this.save();
  }

  /** Moves the cursor past `event` inside the transaction that did its work. */
  advanceIn(tx: Tx | { db: Database["db"] }, event: StoredEvent): Promise<void> {
    return this.cursors.advance(tx.db, this.name, event.seq);
  }

  private async read(): Promise<void> {
    if (this.position === undefined) this.position = this.saved = await this.cursors.position(this.name);
    const size = this.options.batch ?? BATCH;
    for (;;) {
      const batch = await this.events.readAfter(this.position, size);
      if (batch.length === 0) break;
      await this.handle(batch);
      this.position = batch.at(-1)!.seq;
      if (batch.length < size) break;
    }
    if (this.position > this.saved && performance.now() - this.savedAt >= IDLE_CURSOR_SAVE_MS)
      await this.save();
  }

  private async save(): Promise<void> {
    const position = this.position!;
    await this.cursors.save(this.name, position);
    this.saved = position;
    this.savedAt = performance.now();
  }
}
