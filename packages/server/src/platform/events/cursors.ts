import type { Clock } from "@switchboard/engine";
import type { Database } from "../db/database.ts";
import { isoAt } from "../time.ts";

/**
 * Where each event-log consumer has got to. A consumer moves its cursor in the same transaction as
 * the work it did for those events, so after a restart it resumes exactly where it committed.
 */
export class ConsumerCursors {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async position(consumer: string, db = this.database.db): Promise<number> {
    const row = await db
      .selectFrom("consumer_cursors")
      .select("position")
      .where("consumer", "=", consumer)
      .executeTakeFirst();
    return row ? Number(row.position) : 0;
  }

  /** Moves the cursor on its own, for consumers whose work leaves nothing to commit beside it. */
  save(consumer: string, position: number): Promise<void> {
    return this.advance(this.database.db, consumer, position);
  }

  async advance(db: Database["db"], consumer: string, position: number): Promise<void> {
    const now = isoAt(this.clock.now());
    await db
      .insertInto("consumer_cursors")
      .values({ consumer, position, date_updated: now })
      // Never backwards: two nodes racing over the same batch both end at its last position.
      .onConflict((oc) =>
        oc
          .column("consumer")
          .doUpdateSet({ position, date_updated: now })
          .where("consumer_cursors.position", "<", position),
      )
      .execute();
  }
}
