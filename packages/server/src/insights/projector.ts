import { InsightsProjection, type InsightEvent, type InsightSettings } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database } from "../platform/db/database.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { EventConsumer } from "../platform/events/event-consumer.ts";
import { FactStore } from "./facts.ts";
import { projectionSettings, type InsightSettingsStore } from "./settings.ts";

export const PROJECTION_CONSUMER = "insights.projection";

/**
 * Reports may trail the log by a fraction of a second, so the projection takes events in big,
 * spaced batches: its cost per batch (loading the facts a batch touches, measuring and updating
 * rollups, a commit) is then shared by hundreds of events instead of the few of each routing commit.
 * A batch holds SQLite's one connection from its first read to its commit, so it stays at a few
 * hundred events: at 2,000 a batch kept web chat messages waiting ~50 ms behind it; a pass that
 * finds more takes them in further batches, letting other writers in between.
 */
const PROJECTION_BATCH = 500;
const PROJECTION_INTERVAL_MS = 250;

/**
 * Keeps the reporting facts up to date with the event log. Each batch of events is folded by the
 * engine's `InsightsProjection` over the facts it touches, and the changed facts are written in one
 * transaction with the consumer's cursor: a crash replays the batch against the facts as they were
 * before it, so nothing is counted twice.
 */
export class InsightsProjector {
  private readonly consumer: EventConsumer;

  constructor(
    private readonly database: Database,
    events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly facts: FactStore,
    private readonly settings: InsightSettingsStore,
    logger: Logger,
    pollIntervalMs: number,
  ) {
    this.consumer = new EventConsumer(
      PROJECTION_CONSUMER,
      events,
      cursors,
      (batch) => this.project(batch),
      logger,
      pollIntervalMs,
      { batch: PROJECTION_BATCH, minIntervalMs: PROJECTION_INTERVAL_MS },
    );
  }

  start(): void {
    this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /** How far the projection has got in the log (tests wait for it). */
  position(): Promise<number> {
    return this.cursors.position(PROJECTION_CONSUMER);
  }

  private async project(batch: StoredEvent[]): Promise<void> {
    const relevant = batch.filter(isProjected);
    if (relevant.length === 0) return;
    const settings = new Map<string, InsightSettings>();
    for (const accountSid of new Set(relevant.map((e) => e.accountSid))) {
      settings.set(accountSid, projectionSettings(await this.settings.get(accountSid)));
    }
    const taskSids = new Set<string>();
    const workerSids = new Set<string>();
    const conversationSids = new Set<string>();
    for (const { data } of relevant) {
      if (data.TaskSid) taskSids.add(data.TaskSid);
      if (data.WorkerSid) workerSids.add(data.WorkerSid);
      if (data.ConversationSid) conversationSids.add(data.ConversationSid);
    }
    // Facts are derived from the log and commit with the cursor: a commit lost to power failure is
    // redone from the log, so it need not wait for the disk.
    await this.database.transaction(
      async (tx) => {
        const stored = await this.facts.load(tx.db, [...taskSids], [...workerSids], [...conversationSids]);
        const projection = new InsightsProjection(stored, (accountSid) => settings.get(accountSid)!);
        for (const event of relevant) projection.apply(insightEvent(event));
        await this.facts.write(tx.db, projection.drain());
        await this.consumer.advanceIn(tx, relevant.at(-1)!);
      },
      { durable: false },
    );
  }
}

/**
 * Forgets every fact and rewinds the projection to the start of the log, so the server's next start
 * rebuilds them all (`switchboard insights rebuild`). Only while no server runs: a running projector
 * keeps its place in memory.
 */
export async function forgetFacts(database: Database): Promise<void> {
  await database.transaction(async (tx) => {
    await new FactStore(database).clear(tx.db);
    await tx.db.deleteFrom("consumer_cursors").where("consumer", "=", PROJECTION_CONSUMER).execute();
  });
}

/** Routing events (they name their workspace) and conversation events feed the facts. */
function isProjected(event: StoredEvent): boolean {
  return event.data.WorkspaceSid !== undefined || event.eventType.startsWith("conversation.");
}

function insightEvent(event: StoredEvent): InsightEvent {
  const at = Number(event.data.TimestampMs);
  return {
    seq: event.seq,
    type: event.eventType,
    at: Number.isFinite(at) ? at : Date.parse(event.dateCreated),
    accountSid: event.accountSid,
    data: event.data,
  };
}
