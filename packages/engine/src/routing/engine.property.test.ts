import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RoutingEvent, RoutingEventType } from "./events.ts";
import { RoutingError, type TaskView } from "./model.ts";
import { Scenario } from "./scenario.ts";

/**
 * Random command sequences against invariants checked independently of the engine's indexes:
 * capacities and channel rules are checked on a shadow count rebuilt from the event stream, and
 * work conservation with the brute-force `explain`, which evaluates every candidate from scratch.
 */

const SKILLS = ["a", "b", "c"] as const;
const CHANNELS = ["default", "voice", "chat"] as const;
const RULES = [
  { channel: "chat", whileOn: "voice", atLeast: 1 },
  { channel: "voice", whileOn: "chat", atLeast: 2 },
];

type Command =
  | { kind: "addWorker"; skills: string[]; level: number; available: boolean; voice: number; chat: number }
  | { kind: "activity"; worker: number; to: "available" | "offline" | "break" }
  | { kind: "attributes"; worker: number; skills: string[]; level: number }
  | { kind: "capacity"; worker: number; channel: (typeof CHANNELS)[number]; capacity: number }
  | {
      kind: "createTask";
      workflow: number;
      skill: string;
      level: number;
      priority: number;
      channel: (typeof CHANNELS)[number];
      agent: number;
    }
  | { kind: "accept"; pick: number }
  | { kind: "reject"; pick: number; toBreak: boolean }
  | { kind: "wrap"; pick: number }
  | { kind: "complete"; pick: number }
  | { kind: "cancel"; pick: number }
  | { kind: "updateTask"; pick: number; priority: number; skill: string }
  | { kind: "advance"; seconds: number };

const skills = fc.subarray([...SKILLS]);
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("addWorker" as const),
      skills,
      level: fc.integer({ min: 1, max: 3 }),
      available: fc.boolean(),
      voice: fc.integer({ min: 0, max: 1 }),
      chat: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("activity" as const),
      worker: fc.nat(),
      to: fc.constantFrom("available" as const, "offline" as const, "break" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("attributes" as const),
      worker: fc.nat(),
      skills,
      level: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("capacity" as const),
      worker: fc.nat(),
      channel: fc.constantFrom(...CHANNELS),
      capacity: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("createTask" as const),
      workflow: fc.nat(),
      skill: fc.constantFrom(...SKILLS),
      level: fc.integer({ min: 1, max: 3 }),
      priority: fc.integer({ min: 0, max: 3 }),
      channel: fc.constantFrom(...CHANNELS),
      agent: fc.nat(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("accept" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("reject" as const), pick: fc.nat(), toBreak: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("wrap" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("updateTask" as const),
      pick: fc.nat(),
      priority: fc.integer({ min: 0, max: 3 }),
      skill: fc.constantFrom(...SKILLS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 90 }) }),
  },
);

function world() {
  const s = new Scenario({ channelRules: RULES });
  const qa = s.queue("A", "skills HAS 'a'");
  const qb = s.queue("B", "skills HAS 'b'", { maxReservedWorkers: 2 });
  const senior = s.queue("Senior", "level >= 2", { taskOrder: "LIFO" });
  const all = s.queue("All", "1==1", { maxReservedWorkers: 3 });
  const skillsWorkflow = s.workflow(
    {
      filters: [
        {
          filter_friendly_name: "A",
          expression: "skill == 'a'",
          targets: [{ queue: qa, timeout: 30 }, { queue: all }],
        },
        {
          filter_friendly_name: "B",
          expression: "skill == 'b'",
          targets: [
            { queue: qb, expression: "task.level <= worker.level", timeout: 45, priority: 2 },
            { queue: senior, skip_if: "workers.available == 0" },
            { queue: all, timeout: 60 },
          ],
        },
        {
          filter_friendly_name: "Known",
          expression: "agent != null",
          targets: [{ queue: all, known_worker_sid: "task.agent", timeout: 20 }, { queue: all }],
        },
      ],
      default_filter: { queue: senior },
    },
    { taskReservationTimeout: 40 },
  );
  const plain = s.simpleWorkflow(all);
  return { s, workflows: [skillsWorkflow, plain] };
}

const capacityDefaults: Record<string, number> = { default: 1, voice: 1, chat: 1 };

describe("routing engine properties", () => {
  it("keeps capacity, channel rules, single acceptance, work conservation, queue order and event completeness", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 10, maxLength: 80, size: "max" }), (commands) => {
        const { s, workflows } = world();
        const engine = s.engine;
        const workers: string[] = [];
        const tasks: string[] = [];
        /** Shadow bookkeeping from the event stream alone. */
        const active = new Map<string, number>(); // worker|channel → reservations holding capacity
        const capacity = new Map<string, number>();
        const accepted = new Map<string, number>();

        const observe = (events: RoutingEvent[]) => {
          for (const e of events) {
            if (!e.task || !e.worker || !e.type.startsWith("reservation.")) continue;
            const key = `${e.worker.sid}|${e.task.channelUniqueName}`;
            if (e.type === "reservation.created") {
              // At creation: an available activity, capacity left, and no channel rule in force.
              expect(e.worker.available, "reserved an unavailable worker").toBe(true);
              const held = active.get(key) ?? 0;
              expect(held, `capacity exceeded for ${key}`).toBeLessThan(
                capacity.get(key) ?? capacityDefaults[e.task.channelUniqueName]!,
              );
              for (const rule of RULES) {
                if (rule.channel !== e.task.channelUniqueName) continue;
                const other = active.get(`${e.worker.sid}|${rule.whileOn}`) ?? 0;
                expect(other, `channel rule ${JSON.stringify(rule)} broken`).toBeLessThan(rule.atLeast);
              }
              active.set(key, held + 1);
            } else if (
              [
                "reservation.rejected",
                "reservation.timeout",
                "reservation.canceled",
                "reservation.rescinded",
                "reservation.completed",
              ].includes(e.type)
            ) {
              active.set(key, (active.get(key) ?? 0) - 1);
            } else if (e.type === "reservation.accepted") {
              accepted.set(e.task.sid, (accepted.get(e.task.sid) ?? 0) + 1);
              expect(accepted.get(e.task.sid), `task ${e.task.sid} accepted twice`).toBe(1);
            }
          }
        };

        const pick = <T>(list: T[], n: number) => (list.length ? list[n % list.length] : undefined);
        const withStatus = (...statuses: string[]) =>
          tasks.filter((t) => statuses.includes(engine.task(t)?.status ?? "gone"));
        const pendingReservations = () =>
          tasks.flatMap((t) => engine.reservationsOfTask(t).filter((r) => r.status === "pending"));

        for (const c of commands) {
          const before = new Map(tasks.map((t) => [t, engine.task(t)!] as const));
          let expected: RoutingEventType[] = [];
          let outcome: { result: unknown; events: RoutingEvent[] } | undefined;
          let observed = false;
          try {
            switch (c.kind) {
              case "addWorker": {
                outcome = engine.createWorker({
                  friendlyName: `w${workers.length}`,
                  attributes: { skills: c.skills, level: c.level },
                  activitySid: c.available ? s.activity.available : s.activity.offline,
                });
                const sid = outcome.result as string;
                workers.push(sid);
                expected = ["worker.created"];
                // The worker starts with capacity 1 everywhere and may be offered a task at once;
                // the shadow learns each capacity change in the order it happens.
                if (!observed) observe(outcome.events);
                const events = [...outcome.events];
                for (const [channel, cap] of [
                  ["voice", c.voice],
                  ["chat", c.chat],
                ] as const) {
                  capacity.set(`${sid}|${channel}`, cap);
                  const more = engine.setWorkerChannel(sid, channel, { capacity: cap });
                  observe(more.events);
                  events.push(...more.events);
                }
                outcome = { result: sid, events };
                observed = true;
                break;
              }
              case "activity": {
                const worker = pick(workers, c.worker);
                if (!worker) continue;
                const changes = engine.worker(worker)!.activitySid !== s.activity[c.to];
                outcome = engine.updateWorker(worker, { activitySid: s.activity[c.to] });
                if (changes) expected = ["worker.activity.update"];
                break;
              }
              case "attributes": {
                const worker = pick(workers, c.worker);
                if (!worker) continue;
                outcome = engine.updateWorker(worker, { attributes: { skills: c.skills, level: c.level } });
                expected = ["worker.attributes.update"];
                break;
              }
              case "capacity": {
                const worker = pick(workers, c.worker);
                if (!worker) continue;
                const key = `${worker}|${c.channel}`;
                const changes = (capacity.get(key) ?? capacityDefaults[c.channel]) !== c.capacity;
                capacity.set(key, c.capacity);
                outcome = engine.setWorkerChannel(worker, c.channel, { capacity: c.capacity });
                if (changes) expected = ["worker.capacity.update"];
                break;
              }
              case "createTask": {
                const agent = c.agent % 3 === 0 ? pick(workers, c.agent) : undefined;
                outcome = engine.createTask({
                  workflowSid: workflows[c.workflow % workflows.length]!,
                  attributes: { skill: c.skill, level: c.level, ...(agent && { agent }) },
                  priority: c.priority,
                  channel: c.channel,
                });
                tasks.push(outcome.result as string);
                expected = ["task.created"];
                break;
              }
              case "accept": {
                const reservation = pick(pendingReservations(), c.pick);
                if (!reservation) continue;
                outcome = engine.acceptReservation(reservation.sid);
                expected = ["reservation.accepted"];
                break;
              }
              case "reject": {
                const reservation = pick(pendingReservations(), c.pick);
                if (!reservation) continue;
                outcome = engine.rejectReservation(
                  reservation.sid,
                  c.toBreak ? { activitySid: s.activity.break } : {},
                );
                expected = ["reservation.rejected"];
                break;
              }
              case "wrap": {
                const task = pick(withStatus("assigned"), c.pick);
                if (!task) continue;
                outcome = engine.wrapUpTask(task);
                expected = ["task.wrapup", "reservation.wrapup"];
                break;
              }
              case "complete": {
                const task = pick(withStatus("assigned", "wrapping"), c.pick);
                if (!task) continue;
                outcome = engine.completeTask(task);
                expected = ["task.completed", "reservation.completed"];
                break;
              }
              case "cancel": {
                const task = pick(withStatus("pending", "reserved"), c.pick);
                if (!task) continue;
                outcome = engine.cancelTask(task, "abandoned");
                expected = ["task.canceled"];
                break;
              }
              case "updateTask": {
                const task = pick(withStatus("pending", "reserved", "assigned"), c.pick);
                if (!task) continue;
                outcome = engine.updateTask(task, {
                  priority: c.priority,
                  attributes: { ...engine.task(task)!.attributes, skill: c.skill },
                });
                expected = ["task.updated"];
                break;
              }
              case "advance": {
                s.clock.advance(c.seconds * 1000);
                outcome = engine.fireDueTimers();
                break;
              }
            }
          } catch (error) {
            // Refused commands must be refused for a reason the caller can act on.
            expect(error).toBeInstanceOf(RoutingError);
            continue;
          }
          if (!outcome) continue;
          if (!observed) observe(outcome.events);

          // Every accepted command says what it did.
          const produced = new Set(outcome.events.map((e) => e.type));
          for (const type of expected)
            expect(produced.has(type), `${c.kind} did not emit ${type}`).toBe(true);

          // Capacity bookkeeping agrees with the engine.
          for (const w of workers) {
            for (const ch of engine.worker(w)!.channels) {
              const name = ["default", "voice", "chat", "sms", "email"][Number(ch.channelSid.slice(-1)) - 1]!;
              expect(ch.active, `active count of ${w}|${name}`).toBe(active.get(`${w}|${name}`) ?? 0);
            }
          }

          // Work conservation: no waiting task has a ready, eligible worker left unoffered.
          for (const t of withStatus("pending", "reserved")) {
            const idle = engine.explain(t).candidates.filter((v) => v.verdict === "eligible");
            expect(
              idle,
              `task ${t} waits while ${idle.map((v) => v.workerName).join(", ")} could take it (after ${c.kind})`,
            ).toEqual([]);
          }

          // Queue order: a worker given a task in this command was not eligible for a better-placed task in the same queue.
          if (c.kind !== "advance") {
            for (const e of outcome.events) {
              if (e.type !== "reservation.created" || !e.task?.queueSid) continue;
              const chosen = engine.task(e.task.sid)!;
              for (const [sid, was] of before) {
                const now = engine.task(sid);
                // Compare only with tasks that stayed unreserved throughout: they were free to take.
                if (!now || sid === chosen.sid || was.status !== "pending" || now.status !== "pending")
                  continue;
                if (
                  now.queueSid !== e.task.queueSid ||
                  was.queueSid !== now.queueSid ||
                  now.channelSid !== chosen.channelSid ||
                  was.priority !== now.priority
                )
                  continue;
                if (!ranksBefore(now, { ...chosen, priority: e.task.priority }, queueOrder(now.queueSid)))
                  continue;
                const verdict = engine
                  .explain(sid)
                  .candidates.find((v) => v.workerSid === e.worker!.sid)?.verdict;
                expect(
                  ["eligible", "no_capacity"],
                  `${e.worker!.friendlyName} took ${chosen.sid} before better-placed ${sid}`,
                ).not.toContain(verdict);
              }
            }
          }

          // Real-time counters agree with a recount, for the workspace and for every queue and
          // workflow: tasks by status, and waiting tasks by priority.
          const recount = (scope: (t: TaskView) => boolean) => {
            const byStatus = { pending: 0, reserved: 0, assigned: 0, wrapping: 0 } as Record<string, number>;
            const byPriority: Record<string, number> = {};
            for (const sid of tasks) {
              const t = engine.task(sid);
              if (!t || !(t.status in byStatus) || !scope(t)) continue;
              byStatus[t.status]!++;
              if (t.status === "pending" || t.status === "reserved")
                byPriority[String(t.priority)] = (byPriority[String(t.priority)] ?? 0) + 1;
            }
            return { tasks_by_status: byStatus, tasks_by_priority: byPriority };
          };
          const stats = engine.realtimeStatistics({ kind: "workspace" });
          expect(stats).toMatchObject(recount(() => true));
          for (const t of tasks.map((sid) => engine.task(sid)).filter((t) => t !== undefined)) {
            if (t.queueSid)
              expect(engine.realtimeStatistics({ kind: "queue", sid: t.queueSid }), t.queueSid).toMatchObject(
                recount((other) => other.queueSid === t.queueSid),
              );
            if (t.workflowSid)
              expect(engine.realtimeStatistics({ kind: "workflow", sid: t.workflowSid })).toMatchObject(
                recount((other) => other.workflowSid === t.workflowSid),
              );
          }

          // The oldest waiting task, per queue and for the workspace, agrees with a search.
          const waiting = withStatus("pending", "reserved").map((t) => engine.task(t)!);
          const oldestOf = (among: TaskView[]) =>
            among.reduce<TaskView | undefined>(
              (oldest, t) =>
                !oldest ||
                t.dateCreated < oldest.dateCreated ||
                (t.dateCreated === oldest.dateCreated && t.sid < oldest.sid)
                  ? t
                  : oldest,
              undefined,
            )?.sid ?? null;
          expect(stats.longest_task_waiting_sid).toBe(oldestOf(waiting));
          for (const queueSid of new Set(waiting.map((t) => t.queueSid!))) {
            const queueStats = engine.realtimeStatistics({ kind: "queue", sid: queueSid });
            expect(queueStats.longest_task_waiting_sid, `oldest in ${queueSid}`).toBe(
              oldestOf(waiting.filter((t) => t.queueSid === queueSid)),
            );
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

function queueOrder(queueSid: string): "FIFO" | "LIFO" {
  return queueSid.endsWith("3") ? "LIFO" : "FIFO"; // the Senior queue is the third and is LIFO
}

/** Higher priority first; then oldest (FIFO) or newest (LIFO); then creation order. */
function ranksBefore(a: TaskView, b: TaskView, order: "FIFO" | "LIFO"): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.virtualStartTime !== b.virtualStartTime)
    return order === "FIFO"
      ? a.virtualStartTime < b.virtualStartTime
      : a.virtualStartTime > b.virtualStartTime;
  return order === "FIFO" ? a.sid < b.sid : a.sid > b.sid;
}
