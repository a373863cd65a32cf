import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FACT_KIND, FactLog, NO_FACT_ID, type CumulativeKind, type Scope } from "./statistics.ts";

interface Fact {
  at: number;
  kind: CumulativeKind | "activity";
  queue: number;
  workflow: number;
  channel: number;
  worker: number;
  wait: number;
}

const QUEUES = ["WQ0", "WQ1", "WQ2"];
const WORKFLOWS = ["WW0", "WW1"];
const CHANNELS = ["TC0", "TC1"];
const WORKERS = ["WK0", "WK1", "WK2"];
const ACTIVITIES = ["WA0", "WA1"];
const RETENTION_MS = 5_000;

/** A stream of facts from a seed: mostly a task created then entering a queue in the same instant. */
function facts(seed: number, count: number): Fact[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  const out: Fact[] = [];
  let at = 1_000_000;
  while (out.length < count) {
    at += next(3); // 0 ms apart often, so a created and an entered fact of different tasks meet too
    const workflow = next(WORKFLOWS.length);
    const channel = next(CHANNELS.length);
    const base = { at, queue: NO_FACT_ID, workflow, channel, worker: NO_FACT_ID, wait: NaN };
    switch (next(5)) {
      case 0:
      case 1:
        out.push({ ...base, kind: "task.created" });
        // Sometimes on another channel or workflow than the created fact before it: those must not merge.
        out.push({
          ...base,
          kind: "task.entered",
          queue: next(QUEUES.length),
          channel: next(4) === 0 ? 1 - channel : channel,
          workflow: next(4) === 0 ? 1 - workflow : workflow,
        });
        break;
      case 2:
        out.push({ ...base, kind: "task.entered", queue: next(QUEUES.length) });
        break;
      case 3:
        out.push({
          ...base,
          kind: next(2) ? "reservation.accepted" : "task.canceled",
          queue: next(QUEUES.length),
          worker: next(WORKERS.length),
          wait: next(100),
        });
        break;
      default:
        out.push({
          ...base,
          kind: "activity",
          queue: next(ACTIVITIES.length),
          worker: next(WORKERS.length),
          wait: next(4),
        });
    }
  }
  return out;
}

/** The log's IDs are handed out in first-use order; intern every SID first so the model can use indexes. */
function logOf(all: Fact[]): { log: FactLog; ids: Record<string, number[]> } {
  const log = new FactLog(RETENTION_MS);
  const ids = {
    queue: QUEUES.map((sid) => log.idOf(sid)),
    workflow: WORKFLOWS.map((sid) => log.idOf(sid)),
    channel: CHANNELS.map((sid) => log.idOf(sid)),
    worker: WORKERS.map((sid) => log.idOf(sid)),
    activity: ACTIVITIES.map((sid) => log.idOf(sid)),
  };
  const id = (list: number[], i: number) => (i === NO_FACT_ID ? NO_FACT_ID : list[i]!);
  for (const f of all) {
    if (f.kind === "activity")
      log.recordActivity(f.at, ids.worker[f.worker]!, ids.activity[f.queue]!, f.wait);
    else
      log.record(
        f.at,
        FACT_KIND[f.kind],
        id(ids.queue, f.queue),
        ids.workflow[f.workflow]!,
        ids.channel[f.channel]!,
        id(ids.worker, f.worker),
        f.wait,
      );
  }
  return { log, ids };
}

/** The counts the log must give, straight from the facts. */
function expected(all: Fact[], scope: Scope, from: number, to: number, channel: number | undefined) {
  const count = (kind: CumulativeKind) =>
    all.filter(
      (f) =>
        f.kind === kind &&
        f.at >= from &&
        f.at <= to &&
        (channel === undefined || f.channel === channel) &&
        (scope.kind !== "queue" || QUEUES[f.queue] === scope.sid) &&
        (scope.kind !== "workflow" || WORKFLOWS[f.workflow] === scope.sid),
    ).length;
  return {
    tasks_created: count("task.created"),
    tasks_entered: count("task.entered"),
    tasks_canceled: count("task.canceled"),
    reservations_accepted: count("reservation.accepted"),
  };
}

describe("FactLog", () => {
  it("counts what was recorded in any window of the retained span, across chunks and expiry", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom<Scope>(
          { kind: "workspace" },
          { kind: "queue", sid: "WQ1" },
          { kind: "workflow", sid: "WW0" },
        ),
        fc.option(fc.nat({ max: 1 }), { nil: undefined }),
        fc.nat({ max: RETENTION_MS }),
        fc.nat({ max: RETENTION_MS }),
        (seed, scope, channel, a, b) => {
          // 20,000 facts over ~20 s: more than two chunks of 8,192, most of them expired by the end.
          const all = facts(seed, 20_000);
          const { log } = logOf(all);
          const last = all.at(-1)!.at;
          const from = last - Math.max(a, b);
          const to = last - Math.min(a, b);
          const figures = log.cumulative(
            scope,
            from,
            to,
            channel === undefined ? undefined : CHANNELS[channel],
          );
          const want = expected(all, scope, from, to, channel);
          expect({
            tasks_created: figures.tasks_created,
            tasks_entered: figures.tasks_entered,
            tasks_canceled: figures.tasks_canceled,
            reservations_accepted: figures.reservations_accepted,
          }).toEqual(want);
          const inWindow = all.filter(
            (f) =>
              f.kind === "reservation.accepted" &&
              f.at >= from &&
              f.at <= to &&
              (channel === undefined || f.channel === channel) &&
              (scope.kind !== "queue" || QUEUES[f.queue] === scope.sid) &&
              (scope.kind !== "workflow" || WORKFLOWS[f.workflow] === scope.sid),
          );
          expect(figures.wait_duration_until_accepted.total).toBe(
            Math.round(inWindow.reduce((sum, f) => sum + f.wait, 0)),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it("gives each worker its reservations and activity stretches inside the window", () => {
    const all = facts(7, 20_000);
    const { log } = logOf(all);
    const last = all.at(-1)!.at;
    const from = last - 3_000;
    for (const [w, sid] of WORKERS.entries()) {
      const { reservations, activityStretches } = log.workerFigures(sid, from, last);
      const mine = all.filter((f) => f.worker === w && f.at >= from);
      expect(reservations.accepted).toBe(mine.filter((f) => f.kind === "reservation.accepted").length);
      const stretches = new Map<string, number[]>();
      for (const f of mine.filter((f) => f.kind === "activity")) {
        const seconds = (f.at - Math.max(f.at - f.wait * 1000, from)) / 1000;
        if (seconds <= 0) continue;
        const sid = ACTIVITIES[f.queue]!;
        stretches.set(sid, [...(stretches.get(sid) ?? []), seconds]);
      }
      expect(activityStretches).toEqual(stretches);
    }
  });

  it("counts a task created straight into a queue as created and entered, but as entered only in the queue's figures", () => {
    const log = new FactLog(RETENTION_MS);
    const [queue, workflow, channel] = [log.idOf("WQ0"), log.idOf("WW0"), log.idOf("TC0")];
    log.record(10, FACT_KIND["task.created"], NO_FACT_ID, workflow, channel, NO_FACT_ID);
    log.record(10, FACT_KIND["task.entered"], queue, workflow, channel, NO_FACT_ID);
    for (const [scope, created] of [
      [{ kind: "workspace" }, 1],
      [{ kind: "workflow", sid: "WW0" }, 1],
      [{ kind: "queue", sid: "WQ0" }, 0],
    ] as const) {
      const figures = log.cumulative(scope, 0, 20);
      expect([figures.tasks_created, figures.tasks_entered]).toEqual([created, 1]);
    }
  });
});
