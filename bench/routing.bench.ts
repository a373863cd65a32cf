// From its module, not the global: the global `performance` is a getter, called on every use, and the
// loop reads the clock four times a cycle.
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { Scenario } from "../packages/engine/src/index.ts";
import { emit, note } from "./figures.ts";

/**
 * The routing engine at contact-center scale, in one process: 10,000 workers (three skills each),
 * 200 skill queues, 20 workflows of 10 filters, 100,000 tasks waiting behind 10,000 assigned ones.
 *
 * - routing.decisions_per_s and routing.decision_p99_us: a routing decision is a command that makes the
 *   engine choose: a worker finishing a task (it picks the best waiting task across the worker's queues
 *   and reserves it) or a new contact arriving (filters, queue, then a free worker or a place in line).
 *   Each is timed whole, events and bookkeeping included; the rate divides them by the loop's time,
 *   which also includes accepting every reservation and firing due timers; the clock moves 30 ms a
 *   cycle (10,000 agents, 5-minute handle time), so finished tasks age out as in a live center.
 *   Expect run-to-run spread of ±25%: major collections of the finished-task backlog land in the loop;
 * - routing.heap_mb: memory held by the engine with that state: its JavaScript heap plus the typed
 *   arrays it keeps outside it (task times, the statistics fact log), so moving data off the
 *   JavaScript heap does not flatter the figure;
 * - routing.reindex_p99_us: a worker's skills change and its queue memberships are re-evaluated.
 */
const WORKERS = 10_000;
const QUEUES = 200;
const PENDING = 100_000;
const CYCLES = Number(process.env.BENCH_ROUTING_CYCLES ?? 200_000);

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** The JavaScript heap and the array buffers outside it, in MB, after full collections. */
function memoryMb(): { heap: number; arrayBuffers: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / 2 ** 20, arrayBuffers: usage.arrayBuffers / 2 ** 20 };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

let seed = 12345;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = (n: number) => Math.floor(random() * n);

/**
 * Attributes as the engine gets them from the server: parsed from the JSON of the API's `Attributes`
 * parameter (or of the logged command, on replay). V8 shares short strings parsed from JSON, so a
 * hundred thousand tasks naming one of 200 skills hold 200 strings, as in production; attributes
 * built in code would hold one string per task and measure memory no server holds.
 */
const parsed = <T>(attributes: T): T => JSON.parse(JSON.stringify(attributes)) as T;

export async function run(): Promise<void> {
  const before = memoryMb();
  const s = new Scenario();
  const { engine } = s;
  const queues: string[] = [];
  for (let q = 0; q < QUEUES; q++) queues.push(s.queue(`Skill ${q}`, `skills HAS 'skill_${q}'`));
  const workflows: string[] = [];
  for (let w = 0; w < QUEUES / 10; w++) {
    const filters = Array.from({ length: 10 }, (_, i) => ({
      filter_friendly_name: `skill_${w * 10 + i}`,
      expression: `skill == 'skill_${w * 10 + i}'`,
      targets: [{ queue: queues[w * 10 + i]! }],
    }));
    workflows.push(s.workflow({ filters, default_filter: { queue: queues[w * 10]! } }));
  }
  const workers: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const skills = [`skill_${i % QUEUES}`, `skill_${(i * 7 + 3) % QUEUES}`, `skill_${(i * 13 + 5) % QUEUES}`];
    workers.push(
      engine.createWorker({
        friendlyName: `agent ${i}`,
        attributes: parsed({ skills, level: 1 + (i % 5) }),
        activitySid: s.activity.available,
      }).result,
    );
  }
  const started = performance.now();
  let created = 0;
  while (created < WORKERS + PENDING) {
    const q = pick(QUEUES);
    const outcome = engine.createTask({
      workflowSid: workflows[Math.floor(q / 10)]!,
      attributes: parsed({ skill: `skill_${q}` }),
      priority: pick(3),
    });
    for (const event of outcome.events)
      if (event.type === "reservation.created") engine.acceptReservation(event.resourceSid);
    created++;
  }
  note(`set-up: ${created} tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const stats = engine.realtimeStatistics({ kind: "workspace" });
  note(`tasks by status: ${JSON.stringify(stats.tasks_by_status)}`);
  const after = memoryMb();
  const heap = after.heap - before.heap;
  const arrayBuffers = after.arrayBuffers - before.arrayBuffers;
  emit({
    name: "routing.heap_mb",
    value: Number((heap + arrayBuffers).toFixed(1)),
    unit: "MB",
    goal: "<= 60",
    params: {
      js_heap_mb: Number(heap.toFixed(1)),
      array_buffers_mb: Number(arrayBuffers.toFixed(1)),
      workers: WORKERS,
      queues: QUEUES,
      pending: stats.tasks_by_status.pending,
      assigned: stats.tasks_by_status.assigned,
    },
  });

  // Decisions: complete a random assigned task; the freed worker gets the best waiting task.
  const assigned = new Map<string, string>(); // worker → task
  for (const task of engine.allTasks()) {
    if (task.status === "assigned")
      assigned.set(
        engine.reservationsOfTask(task.sid).find((r) => r.status === "accepted")!.workerSid,
        task.sid,
      );
  }
  const busy = [...assigned.keys()];
  const decision = new Float64Array(CYCLES * 2);
  let reservations = 0;
  const track = (events: ReturnType<typeof engine.completeTask>["events"]) => {
    for (const event of events) {
      if (event.type !== "reservation.created") continue;
      reservations++;
      engine.acceptReservation(event.resourceSid);
      assigned.set(event.worker!.sid, event.task!.sid);
    }
  };
  // Parsing a request's attributes is the HTTP layer's work, not a routing decision: arrivals share
  // one parsed object per skill (the engine never changes attributes it is given).
  const arrivalAttributes = queues.map((_, q) => parsed({ skill: `skill_${q}` }));
  const loopStart = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    // Time passes as in a live center: 10,000 agents with a 5-minute handle time finish a task
    // every 30 ms, so finished tasks age out of memory and due timers fire as they would.
    s.clock.advance(30);
    if (i % 1000 === 0) engine.fireDueTimers();
    // A worker finishes: the engine picks the best waiting task across the worker's queues.
    const task = assigned.get(busy[pick(busy.length)]!)!;
    const t0 = performance.now();
    const done = engine.completeTask(task);
    decision[2 * i] = (performance.now() - t0) * 1000;
    track(done.events);
    // A contact arrives for every one finished, keeping the backlog steady.
    const q = pick(QUEUES);
    const t1 = performance.now();
    const arrival = engine.createTask({
      workflowSid: workflows[Math.floor(q / 10)]!,
      attributes: arrivalAttributes[q]!,
      priority: pick(3),
    });
    decision[2 * i + 1] = (performance.now() - t1) * 1000;
    track(arrival.events);
  }
  const seconds = (performance.now() - loopStart) / 1000;
  decision.sort();
  emit({
    name: "routing.decisions_per_s",
    value: Math.round((2 * CYCLES) / seconds),
    unit: "1/s",
    goal: ">= 200000",
    params: { workers: WORKERS, queues: QUEUES, pending: PENDING, decisions: 2 * CYCLES, reservations },
  });
  emit({
    name: "routing.decision_p99_us",
    value: Number(percentile(decision, 0.99).toFixed(2)),
    unit: "us",
    goal: "<= 20",
    params: { p50_us: Number(percentile(decision, 0.5).toFixed(2)) },
  });

  // Re-indexing: change a worker's skills; its membership in all 200 queues is re-evaluated.
  const reindex = new Float64Array(20_000);
  for (let i = 0; i < reindex.length; i++) {
    const worker = workers[pick(workers.length)]!;
    const skills = [`skill_${pick(QUEUES)}`, `skill_${pick(QUEUES)}`, `skill_${pick(QUEUES)}`];
    const attributes = parsed({ skills, level: 3 });
    const t0 = performance.now();
    engine.updateWorker(worker, { attributes });
    reindex[i] = (performance.now() - t0) * 1000;
  }
  reindex.sort();
  emit({
    name: "routing.reindex_p99_us",
    value: Number(percentile(reindex, 0.99).toFixed(2)),
    unit: "us",
    goal: "<= 50",
    params: { queues: QUEUES, p50_us: Number(percentile(reindex, 0.5).toFixed(2)) },
  });
  return Promise.resolve();
}
