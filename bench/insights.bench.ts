import { MetricCatalog, STANDARD_METRICS, type SegmentFact } from "@switchboard/engine";
import { sql } from "kysely";
import { FactStore } from "../packages/server/src/insights/facts.ts";
import { Reports } from "../packages/server/src/insights/report.ts";
import { DEFAULT_SETTINGS } from "../packages/server/src/insights/settings.ts";
import { Database } from "../packages/server/src/platform/db/database.ts";
import { migrateToLatest } from "../packages/server/src/platform/db/migrate.ts";
import { emit, note } from "./figures.ts";
import { databases } from "./support.ts";

const SEGMENTS = 1_000_000;
const DAYS = 30;
const QUEUES = 50;
const WORKERS = 500;
const START = Date.UTC(2026, 9, 1);
const SEGMENTS_PER_BATCH = 5_000;
const RUNS = 3;

/**
 * Reports over 1,000,000 task segments (a month, every standard segment metric, Paris time),
 * through the same `Reports` the API uses, beside a plain COUNT(*) over the same table in the same
 * run; best of three runs each. `insights.report_1m_rows_s` is by queue and hour (from the
 * rollups), `insights.report_by_agent_1m_rows_s` by agent and day (from the segments).
 * `insights.segments_written_per_s` is how fast the projection's writes (segments and their
 * rollups) took the month in.
 */
export async function run(): Promise<void> {
  for (const target of await databases()) {
    const database = Database.open(target.url);
    try {
      await migrateToLatest(database);
      note(`insights/${target.name}: loading ${SEGMENTS.toLocaleString()} segments`);
      const written = await load(database);
      await sql`analyze`.execute(database.db);
      note(`insights/${target.name}: ${Math.round(written).toLocaleString()} segments written per second`);

      const count = await best(async () => {
        await sql`select count(*) from insight_segments`.execute(database.db);
      });
      const clock = { now: () => START + DAYS * 86_400_000 };
      const reports = new Reports(database, new FactStore(database), clock);
      const catalog = new MetricCatalog([]);
      const metrics = STANDARD_METRICS.map((m) => m.name).filter(
        (name) => !["occupancy", "utilization"].includes(name),
      );
      // The month by queue and hour reads the rollups; by agent and day, the segments themselves.
      for (const { name, groupBy, interval } of [
        { name: "insights.report_1m_rows_s", groupBy: "queue", interval: "60m" },
        { name: "insights.report_by_agent_1m_rows_s", groupBy: "worker", interval: "day" },
      ] as const) {
        let rows = 0;
        const report = await best(async () => {
          const result = await reports.run(
            {
              accountSid: ACCOUNT,
              workspaceSid: WORKSPACE,
              from: START,
              to: START + DAYS * 86_400_000,
              interval,
              timeZone: "Europe/Paris",
              groupBy: [groupBy],
              metrics,
              filters: {},
            },
            catalog,
            DEFAULT_SETTINGS,
          );
          rows = result.rows.length;
        });
        note(
          `insights/${target.name}: by ${groupBy} and ${interval}, ${rows} rows in ${report.toFixed(3)} s; COUNT(*) ${count.toFixed(3)} s`,
        );
        emit({
          name,
          value: Number(report.toFixed(3)),
          unit: "s",
          goal: "<= 1",
          params: {
            db: target.name,
            segments: SEGMENTS,
            days: DAYS,
            queues: QUEUES,
            workers: WORKERS,
            metrics: metrics.length,
            group_by: groupBy,
            interval,
          },
          baseline: { name: "COUNT(*) over the same table", value: Number(count.toFixed(3)) },
        });
      }
      emit({
        name: "insights.segments_written_per_s",
        value: Math.round(written),
        unit: "1/s",
        params: { db: target.name, batch: SEGMENTS_PER_BATCH },
      });
      emit({
        name: "insights.count_baseline_s",
        value: Number(count.toFixed(3)),
        unit: "s",
        params: { db: target.name, segments: SEGMENTS },
      });
    } finally {
      await database.close();
      await target.drop();
    }
  }
}

const ACCOUNT = "AC" + "0".repeat(32);
const WORKSPACE = "WS" + "0".repeat(32);

/** Best (lowest) wall time of `RUNS` runs, in seconds. */
async function best(work: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    fastest = Math.min(fastest, (performance.now() - started) / 1000);
  }
  return fastest;
}

/**
 * A month of traffic (1 segment in 10 abandoned, 1 in 20 transferred, waits and handle times
 * varied), written as the projection writes it: `FactStore.write` in batches, each in its own
 * transaction, which also keeps the rollups. Answers segments written per second.
 */
async function load(database: Database): Promise<number> {
  const facts = new FactStore(database);
  const spacing = (DAYS * 86_400_000) / SEGMENTS;
  const started = performance.now();
  for (let first = 0; first < SEGMENTS; first += SEGMENTS_PER_BATCH) {
    const segments: SegmentFact[] = [];
    for (let i = first; i < Math.min(SEGMENTS, first + SEGMENTS_PER_BATCH); i++)
      segments.push(segment(i, spacing));
    await database.transaction((tx) =>
      facts.write(tx.db, { segments, workers: [], removedWorkers: [], slices: [], conversations: [] }),
    );
  }
  return SEGMENTS / ((performance.now() - started) / 1000);
}

function segment(i: number, spacing: number): SegmentFact {
  const enteredAt = Math.floor(START + i * spacing);
  const abandoned = i % 10 === 0;
  const wait = (i * 7919) % 120_000;
  const talk = 60_000 + ((i * 104_729) % 600_000);
  const wrap = (i * 31) % 60_000;
  const queue = i % QUEUES;
  const worker = (i * 13) % WORKERS;
  return {
    taskSid: `WT${i.toString(16).padStart(32, "0")}`,
    segment: 1,
    accountSid: ACCOUNT,
    workspaceSid: WORKSPACE,
    workflowSid: "WW" + "0".repeat(32),
    queueSid: `WQ${queue.toString(16).padStart(32, "0")}`,
    queueName: `Queue ${queue}`,
    channel: ["voice", "chat", "sms", "email", "whatsapp"][i % 5]!,
    direction: "inbound",
    conversationSid: null,
    transferredFrom: null,
    taskCreatedAt: enteredAt,
    enteredAt,
    firstReservedAt: enteredAt + wait / 2,
    acceptedAt: abandoned ? null : enteredAt + wait,
    wrapupAt: abandoned ? null : enteredAt + wait + talk,
    endedAt: abandoned ? enteredAt + wait : enteredAt + wait + talk + wrap,
    workerSid: abandoned ? null : `WK${worker.toString(16).padStart(32, "0")}`,
    workerName: abandoned ? null : `agent ${worker}`,
    team: abandoned ? null : `team ${worker % 20}`,
    outcome: abandoned ? "abandoned" : i % 20 === 1 ? "transferred" : "handled",
    queueMs: wait,
    ringMs: abandoned ? null : 3_000,
    talkMs: abandoned ? null : talk,
    wrapMs: abandoned ? null : wrap,
    reservations: 1,
    rejected: 0,
    missed: 0,
    transferred: i % 20 === 1,
    measures: [],
    attributes: [],
    ringing: {},
    lastSeq: i + 1,
  };
}
