import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import type { Switchboard } from "../packages/server/src/app.ts";
import type { RoutingCommand } from "../packages/server/src/routing/commands.ts";
import type { WorkspaceEntry } from "../packages/server/src/routing/service.ts";
import { emit, note } from "./figures.ts";
import type { ReservationPlan, ReservationResult } from "./reservation-load.ts";
import {
  bareFastifyPost,
  databases,
  httpThroughput,
  openServer,
  settle,
  type BenchDatabase,
} from "./support.ts";

/**
 * The TaskRouter service against the real server on loopback (client and server share this
 * process, as they share the machine):
 * - api.task_create_per_s: POST /Tasks with 10,000 workers and 50,000 queued tasks, per database,
 *   beside a bare Fastify JSON POST measured in the same run;
 * - api.task_to_reservation_p50_ms / p99_ms: from sending POST /Tasks to the reservation.created
 *   event arriving on the chosen worker's WebSocket, at 500 tasks/s, sent and received from a worker
 *   thread (as the throughput load is) so the load does not run on the server's event loop;
 * - api.queue_stats_p99_ms: GET RealTimeStatistics of the 50,000-task queue;
 * - api.rss_mb_at_caps and api.restart_s: 15,000 workers and 500,000 tasks held, once the event-log
 *   consumers have caught up, then a restart that replays them (SQLite), in a process of their own.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WORKERS = 10_000;
const QUEUED = 50_000;
const STREAMED_WORKERS = 200;
const RATE = 500;
const CAP_WORKERS = 15_000;
const CAP_TASKS = 500_000;

export async function run(): Promise<void> {
  const baselinePost = await bareFastifyPost(SECONDS);
  emit({ name: "api.baseline_post_per_s", value: baselinePost, unit: "1/s", params: { concurrency: 16 } });
  for (const db of await databases()) {
    try {
      await serviceFigures(db, baselinePost);
    } finally {
      await db.drop();
    }
  }
  await inOwnProcess("bench/capacity.ts");
}

/**
 * Runs a script in a fresh process with this one's Node options, its figures on this one's output:
 * memory figures are then the server's alone, not what earlier figures left on this process's heap.
 */
function inOwnProcess(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}

interface Desk {
  entry: WorkspaceEntry;
  backlogWorkflow: string;
  backlogQueue: string;
  liveWorkflow: string;
  liveWorkers: string[];
}

/**
 * Submits `count` commands in batches of 2,000, each built as its batch goes: a client importing half a
 * million tasks sends them over time, and the server should not be measured holding them all at once.
 */
async function submitAll(
  entry: WorkspaceEntry,
  count: number,
  command: (i: number) => RoutingCommand,
): Promise<void> {
  for (let i = 0; i < count; i += 2000)
    await entry.router.submit(Array.from({ length: Math.min(2000, count - i) }, (_, j) => command(i + j)));
}

/**
 * A workspace with a backlog queue (everyone offline, so its tasks wait) and a live queue whose
 * workers are available with room for every task the latency run sends them.
 */
async function buildDesk(
  switchboard: Switchboard,
  accountSid: string,
  workers: number,
  queued: number,
): Promise<Desk> {
  const entry = await switchboard.routing.create(accountSid, { friendlyName: "bench" });
  const { router, workspace } = entry;
  const activity = (name: string) =>
    [...router.catalog.activities.values()].find((a) => a.record.friendlyName === name)!.record.sid;
  const queue = (sid: string, name: string, targetWorkers: string): RoutingCommand => ({
    op: "putQueue",
    queue: {
      sid,
      friendlyName: name,
      targetWorkers,
      maxReservedWorkers: 1,
      taskOrder: "FIFO",
      reservationActivitySid: null,
      assignmentActivitySid: null,
    },
  });
  const workflow = (sid: string, queueSid: string): RoutingCommand => ({
    op: "putWorkflow",
    reEvaluateTasks: false,
    workflow: {
      sid,
      friendlyName: sid,
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queueSid } } }),
      taskReservationTimeout: 3600,
      assignmentCallbackUrl: null,
      fallbackAssignmentCallbackUrl: null,
    },
  });
  const desk = {
    entry,
    backlogQueue: router.nextSid("WQ"),
    backlogWorkflow: router.nextSid("WW"),
    liveWorkflow: router.nextSid("WW"),
    liveWorkers: [] as string[],
  };
  const liveQueue = router.nextSid("WQ");
  await router.submit([
    queue(desk.backlogQueue, "Backlog", "team == 'backlog'"),
    queue(liveQueue, "Live", "team == 'live'"),
    workflow(desk.backlogWorkflow, desk.backlogQueue),
    workflow(desk.liveWorkflow, liveQueue),
  ]);
  await submitAll(entry, workers - STREAMED_WORKERS, (i) => ({
    op: "createWorker",
    worker: {
      friendlyName: `agent${i}`,
      activitySid: workspace.defaultActivitySid,
      attributes: { team: "backlog", skills: ["support"], level: i % 5 },
    },
  }));
  for (let i = 0; i < STREAMED_WORKERS; i++) {
    const sid = await router.run<string>({
      op: "createWorker",
      worker: { friendlyName: `live${i}`, activitySid: activity("Available"), attributes: { team: "live" } },
    });
    await router.run({ op: "setWorkerChannel", workerSid: sid, channel: "default", capacity: 50 });
    desk.liveWorkers.push(sid);
  }
  await submitAll(entry, queued, (i) => ({
    op: "createTask",
    task: { workflowSid: desk.backlogWorkflow, attributes: { n: i, type: "support" } },
  }));
  return desk;
}

async function serviceFigures(db: BenchDatabase, baselinePost: number): Promise<void> {
  note(`api benchmarks on ${db.name}: building ${WORKERS} workers and ${QUEUED} queued tasks`);
  const switchboard = await openServer(db);
  try {
    const baseUrl = await switchboard.listen();
    const account = await switchboard.accounts.create({ friendlyName: "bench" });
    const auth = "Basic " + Buffer.from(`${account.sid}:${account.authToken}`).toString("base64");
    const desk = await buildDesk(switchboard, account.sid, WORKERS, QUEUED);
    await settle(switchboard);
    const workspace = `${baseUrl}/v1/Workspaces/${desk.entry.workspace.sid}`;
    const created = await httpThroughput(
      {
        url: `${workspace}/Tasks`,
        method: "POST",
        headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          WorkflowSid: desk.backlogWorkflow,
          Attributes: '{"type":"support"}',
        }).toString(),
      },
      SECONDS,
    );
    emit({
      name: "api.task_create_per_s",
      value: created,
      unit: "1/s",
      goal: db.name === "sqlite" ? ">= 2000" : ">= 1000",
      params: { db: db.name, workers: WORKERS, queued: QUEUED, concurrency: 16 },
      baseline: { name: "bare JSON POST", value: baselinePost },
    });

    // Each figure measures its own load: let the consumers finish with the throughput run's events first.
    await settle(switchboard);
    const latencies = await taskToReservation(baseUrl, auth, desk);
    emit({
      name: "api.task_to_reservation_p50_ms",
      value: percentile(latencies, 0.5),
      unit: "ms",
      goal: "<= 5",
      params: { db: db.name, rate: RATE, tasks: latencies.length },
    });
    emit({
      name: "api.task_to_reservation_p99_ms",
      value: percentile(latencies, 0.99),
      unit: "ms",
      goal: "<= 50",
      params: { db: db.name, rate: RATE, tasks: latencies.length },
    });

    const stats: number[] = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      await fetch(`${workspace}/TaskQueues/${desk.backlogQueue}/RealTimeStatistics`, {
        headers: { Authorization: auth },
      }).then((r) => r.arrayBuffer());
      stats.push(performance.now() - started);
    }
    emit({
      name: "api.queue_stats_p99_ms",
      value: percentile(stats, 0.99),
      unit: "ms",
      goal: "<= 10",
      params: { db: db.name, queued: QUEUED },
    });
  } finally {
    await switchboard.close();
  }
}

/**
 * Opens a stream for each live worker, then sends tasks to the live queue at RATE per second from a
 * worker thread (reservation-load.ts); each task's attributes carry a probe number, so the
 * reservation.created arriving on a socket is matched to the moment its POST was sent.
 */
async function taskToReservation(baseUrl: string, auth: string, desk: Desk): Promise<number[]> {
  const streamUrls: string[] = [];
  for (const workerSid of desk.liveWorkers) {
    const issued = (await fetch(
      `${baseUrl}/switchboard/v1/Workspaces/${desk.entry.workspace.sid}/StreamTokens`,
      {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ WorkerSid: workerSid }),
      },
    ).then((r) => r.json())) as { stream_url: string };
    streamUrls.push(issued.stream_url);
  }
  const plan: ReservationPlan = {
    tasksUrl: `${baseUrl}/v1/Workspaces/${desk.entry.workspace.sid}/Tasks`,
    authorization: auth,
    workflowSid: desk.liveWorkflow,
    streamUrls,
    rate: RATE,
    seconds: SECONDS,
  };
  const result = await new Promise<ReservationResult>((resolve, reject) => {
    const worker = new Worker(new URL("./ts-worker.mjs", import.meta.url), {
      workerData: { module: "./reservation-load.ts", plan },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the load thread exited (${code}) without a result`)));
  });
  if (result.latencies.length < result.sent)
    note(`only ${result.latencies.length} of ${result.sent} reservations arrived on the streams`);
  return result.latencies;
}

/** Time for a full collection's freed pages to leave the resident set (seen here: within 0.2 s). */
const PAGES_RETURNED_MS = 2_000;

/**
 * RSS while holding 15,000 workers and 500,000 tasks, then the time a restart takes to replay them.
 * Run by bench/capacity.ts, in a process of its own.
 */
export async function capacityFigures(db: BenchDatabase): Promise<void> {
  note(`api capacity on ${db.name}: ${CAP_WORKERS} workers and ${CAP_TASKS} tasks`);
  let switchboard = await openServer(db);
  try {
    // Serving, so the event-log consumers run as on a live server and the figure includes them.
    await switchboard.listen();
    const account = await switchboard.accounts.create({ friendlyName: "bench" });
    await buildDesk(switchboard, account.sid, CAP_WORKERS, CAP_TASKS);
    await settle(switchboard);
    global.gc?.();
    // The pages a collection frees go back to the system from a background thread, within a
    // fraction of a second: read the resident size once they have, as a server at rest shows it.
    await new Promise((resolve) => setTimeout(resolve, PAGES_RETURNED_MS));
    const memory = process.memoryUsage();
    emit({
      name: "api.rss_mb_at_caps",
      value: Math.round(memory.rss / 2 ** 20),
      unit: "MB",
      goal: "<= 1024",
      params: {
        db: db.name,
        workers: CAP_WORKERS,
        tasks: CAP_TASKS,
        heap_mb: Math.round(memory.heapUsed / 2 ** 20),
        // The bulk import's high-water mark, before the consumers caught up and the heap shrank.
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        array_buffers_mb: Math.round(memory.arrayBuffers / 2 ** 20),
      },
    });
    await switchboard.close();
    const started = performance.now();
    switchboard = await openServer(db);
    emit({
      name: "api.restart_s",
      value: Number(((performance.now() - started) / 1000).toFixed(2)),
      unit: "s",
      goal: "<= 30",
      params: { db: db.name, workers: CAP_WORKERS, tasks: CAP_TASKS },
    });
  } finally {
    await switchboard.close();
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2));
}
