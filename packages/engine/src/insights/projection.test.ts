import { describe, expect, it } from "vitest";
import { eventCallbackParams } from "../routing/events.ts";
import { Scenario } from "../routing/scenario.ts";
import { databaseBuckets, intervalStart, zoneOffsetMs } from "./intervals.ts";
import {
  InsightsProjection,
  SLICE_MS,
  type ConversationFact,
  type InsightEvent,
  type InsightSettings,
  type SegmentFact,
  type WorkerSlice,
  type WorkerTimeState,
} from "./projection.ts";

const SETTINGS: InsightSettings = {
  measures: [{ name: "csat", path: "survey.score" }],
  attributes: [{ name: "language", path: "language" }],
};

/** Facts as a store keeps them: drained changes replace rows, slices add up. */
class MemoryFacts {
  readonly segments = new Map<string, SegmentFact>();
  readonly workers = new Map<string, WorkerTimeState>();
  readonly conversations = new Map<string, ConversationFact>();
  readonly slices = new Map<string, WorkerSlice>();

  project(events: InsightEvent[], batchSizes: number[] = [events.length]): void {
    let at = 0;
    for (let i = 0; at < events.length; i++) {
      const size = Math.max(1, batchSizes[i % batchSizes.length]!);
      const projection = new InsightsProjection(
        {
          latestSegment: (sid) => [...this.segments.values()].filter((s) => s.taskSid === sid).at(-1),
          worker: (sid) => this.workers.get(sid),
          conversation: (sid) => this.conversations.get(sid),
        },
        () => SETTINGS,
      );
      for (const event of events.slice(at, at + size)) projection.apply(event);
      at += size;
      const facts = projection.drain();
      for (const s of facts.segments) this.segments.set(`${s.taskSid}/${s.segment}`, structuredClone(s));
      for (const w of facts.workers) this.workers.set(w.workerSid, structuredClone(w));
      for (const sid of facts.removedWorkers) this.workers.delete(sid);
      for (const c of facts.conversations) this.conversations.set(c.conversationSid, structuredClone(c));
      for (const slice of facts.slices) {
        const key = `${slice.workerSid} ${slice.sliceStart}`;
        const kept = this.slices.get(key);
        if (kept) {
          kept.availableMs += slice.availableMs;
          kept.busyMs += slice.busyMs;
          kept.staffedMs += slice.staffedMs;
        } else this.slices.set(key, { ...slice });
      }
    }
  }

  segmentsOf(taskSid: string): SegmentFact[] {
    return [...this.segments.values()].filter((s) => s.taskSid === taskSid);
  }
}

function insightEvents(s: Scenario): InsightEvent[] {
  return s.log.map((event, i) => ({
    seq: i + 1,
    type: event.type,
    at: event.at,
    accountSid: "AC1",
    data: eventCallbackParams(event, { accountSid: "AC1", workspaceSid: "WS1", workspaceName: "Main" }),
  }));
}

function project(s: Scenario): MemoryFacts {
  const facts = new MemoryFacts();
  facts.project(insightEvents(s));
  return facts;
}

describe("task segments", () => {
  it("times a handled task: wait, ring, talk, wrap-up, and takes custom measures and attributes", () => {
    const s = new Scenario();
    const support = s.queue("Support");
    const workflow = s.simpleWorkflow(support);
    const alice = s.worker("alice", { team_name: "Blue" }, { available: false });
    const task = s.task(workflow, { language: "fr", direction: "outbound" });
    s.advance(20); // waits 20 s with nobody available
    s.record(s.engine.updateWorker(alice, { activitySid: s.activity.available }));
    s.advance(5); // rings 5 s
    s.record(s.engine.acceptReservation(s.engine.reservationsOfTask(task)[0]!.sid));
    s.advance(120);
    s.record(s.engine.wrapUpTask(task));
    s.advance(30);
    s.record(s.engine.updateTask(task, { attributes: { language: "fr", survey: { score: 4 } } }));
    s.record(s.engine.completeTask(task));

    const [segment] = project(s).segmentsOf(task);
    expect(segment).toMatchObject({
      segment: 1,
      queueSid: support,
      queueName: "Support",
      channel: "default",
      direction: "outbound",
      outcome: "handled",
      queueMs: 25_000,
      ringMs: 5_000,
      talkMs: 120_000,
      wrapMs: 30_000,
      workerSid: alice,
      workerName: "alice",
      team: "Blue",
      reservations: 1,
      measures: [4],
      attributes: ["fr"],
      ringing: {},
    });
    expect(segment!.endedAt! - segment!.enteredAt).toBe(175_000);
  });

  it("counts a task canceled while a reservation rings as abandoned, with the ring in its wait", () => {
    const s = new Scenario();
    const workflow = s.simpleWorkflow(s.queue("Support"));
    s.worker("alice");
    const task = s.task(workflow);
    s.advance(7);
    s.record(s.engine.cancelTask(task, "Customer hung up"));
    const [segment] = project(s).segmentsOf(task);
    expect(segment).toMatchObject({
      outcome: "abandoned",
      queueMs: 7_000,
      acceptedAt: null,
      reservations: 1,
      talkMs: null,
      ringing: {},
    });
  });

  it("starts a new segment when a step timeout moves a task on, and ends as timed out after the last step", () => {
    const s = new Scenario();
    const first = s.queue("Sales");
    const second = s.queue("Everyone");
    const workflow = s.workflow({
      filters: [
        {
          filter_friendly_name: "all",
          expression: "1==1",
          targets: [
            { queue: first, timeout: 30 },
            { queue: second, timeout: 60 },
          ],
        },
      ],
    });
    const task = s.task(workflow);
    s.advance(30);
    s.advance(60);
    const segments = project(s).segmentsOf(task);
    expect(segments.map((x) => [x.segment, x.queueName, x.outcome, x.queueMs])).toEqual([
      [1, "Sales", "timed_out", 30_000],
      [2, "Everyone", "timed_out", 60_000],
    ]);
  });

  it("ends a transferred task's segment as transferred and gives the transfer its own segment", () => {
    const s = new Scenario();
    const support = s.queue("Support", "name == 'alice'");
    const billing = s.queue("Billing", "name == 'bob'");
    const workflow = s.simpleWorkflow(support);
    s.worker("alice", { name: "alice" });
    const bob = s.worker("bob", { name: "bob" }, { available: false });
    const task = s.task(workflow);
    s.record(s.engine.acceptReservation(s.pendingReservation(task)!));
    s.advance(60);
    const transfer = s.record(s.engine.transferTask(task, { queueSid: billing }));
    s.record(s.engine.updateWorker(bob, { activitySid: s.activity.available }));
    s.advance(10);
    s.record(s.engine.acceptReservation(s.pendingReservation(transfer)!));
    s.advance(15);
    s.record(s.engine.completeTask(task));
    s.advance(100);
    s.record(s.engine.completeTask(transfer));

    const facts = project(s);
    expect(facts.segmentsOf(task)).toMatchObject([
      { outcome: "transferred", talkMs: 70_000, wrapMs: 15_000 },
    ]);
    expect(facts.segmentsOf(transfer)).toMatchObject([
      { outcome: "handled", queueName: "Billing", transferredFrom: task, workerName: "bob", queueMs: 10_000 },
    ]);
  });

  it("counts rejected and timed-out reservations of a segment", () => {
    const s = new Scenario();
    const workflow = s.workflow(
      { filters: [], default_filter: { queue: s.queue("Support") } },
      { taskReservationTimeout: 20 },
    );
    s.worker("alice");
    s.worker("bob");
    const task = s.task(workflow);
    s.record(s.engine.rejectReservation(s.pendingReservation(task)!));
    s.advance(20); // the second worker's reservation times out
    const [segment] = project(s).segmentsOf(task);
    expect(segment).toMatchObject({ reservations: 2, rejected: 1, missed: 1, outcome: null });
  });
});

describe("worker time", () => {
  it("splits available, busy and staffed time at 15-minute slices, across midnight", () => {
    const s = new Scenario();
    s.clock.set(Date.UTC(2026, 10, 23, 23, 50));
    const workflow = s.simpleWorkflow(s.queue("Support"));
    const alice = s.worker("alice", { team: "Night" });
    s.advance(5 * 60); // 23:55, available and idle
    const task = s.task(workflow);
    s.record(s.engine.acceptReservation(s.pendingReservation(task)!));
    s.advance(15 * 60); // 00:10, busy
    s.record(s.engine.completeTask(task));
    s.record(s.engine.updateWorker(alice, { activitySid: s.activity.break }));
    s.advance(10 * 60); // 00:20 on a break: staffed, neither available nor busy
    s.record(s.engine.updateWorker(alice, { activitySid: s.activity.offline }));
    s.advance(60 * 60); // offline: nothing

    const facts = project(s);
    const slices = [...facts.slices.values()]
      .sort((a, b) => a.sliceStart - b.sliceStart)
      .map((x) => [
        new Date(x.sliceStart).toISOString().slice(11, 16),
        x.availableMs / 60_000,
        x.busyMs / 60_000,
        x.staffedMs / 60_000,
      ]);
    expect(slices).toEqual([
      ["23:45", 5, 5, 10],
      ["00:00", 0, 10, 15],
      ["00:15", 0, 0, 5],
    ]);
    expect(facts.workers.get(alice)).toMatchObject({ activityName: "Offline", tasks: 0, team: "Night" });
  });
});

describe("rebuilding", () => {
  it("gives the same facts whatever the batches the log is read in", () => {
    const s = new Scenario();
    const workflow = s.workflow({
      filters: [
        {
          filter_friendly_name: "all",
          expression: "1==1",
          targets: [{ queue: s.queue("A"), timeout: 40 }, { queue: s.queue("B") }],
        },
      ],
    });
    const workers = ["w1", "w2", "w3"].map((name) => s.worker(name, { team: name === "w1" ? "x" : "y" }));
    for (let i = 0; i < 30; i++) {
      const task = s.task(workflow, { survey: { score: i % 5 }, language: i % 2 ? "en" : "es" });
      s.advance(7 + (i % 11));
      const pending = s.pendingReservation(task);
      if (pending && i % 3 === 0) s.record(s.engine.acceptReservation(pending));
      else if (pending && i % 3 === 1) s.record(s.engine.rejectReservation(pending));
      else if (i % 4 === 0) s.record(s.engine.cancelTask(task));
      for (const t of s.engine.allTasks().filter((x) => x.status === "assigned")) {
        if ((i + t.sid.length) % 2 === 0) s.record(s.engine.completeTask(t.sid));
      }
      if (i % 7 === 0)
        s.record(s.engine.updateWorker(workers[i % 3]!, { activitySid: s.activity.available }));
    }
    const events = insightEvents(s);
    const whole = new MemoryFacts();
    whole.project(events);
    const batched = new MemoryFacts();
    batched.project(events, [1, 7, 3, 50, 2]);
    expect(whole.segments.size).toBeGreaterThan(30);
    expect([...batched.segments.entries()].sort()).toEqual([...whole.segments.entries()].sort());
    expect([...batched.slices.entries()].sort()).toEqual([...whole.slices.entries()].sort());
    expect([...batched.workers.entries()].sort()).toEqual([...whole.workers.entries()].sort());
  });
});

describe("conversations", () => {
  it("records the channel, the first author's messages, the first reply and the close", () => {
    const facts = new MemoryFacts();
    const event = (seq: number, type: string, at: number, data: Record<string, string>): InsightEvent => ({
      seq,
      type,
      at,
      accountSid: "AC1",
      data: { ConversationSid: "CH1", ...data },
    });
    facts.project([
      event(1, "conversation.added", 1_000, {}),
      event(2, "conversation.participant.added", 1_000, { "MessagingBinding.Address": "whatsapp:+15550001" }),
      event(3, "conversation.message.added", 2_000, { Author: "whatsapp:+15550001" }),
      event(4, "conversation.message.added", 3_000, { Author: "whatsapp:+15550001" }),
      event(5, "conversation.participant.added", 9_000, { Identity: "alice" }),
      event(6, "conversation.message.added", 12_000, { Author: "alice" }),
      event(7, "conversation.state-updated", 60_000, { StateTo: "closed" }),
    ]);
    expect(facts.conversations.get("CH1")).toMatchObject({
      channel: "whatsapp",
      createdAt: 1_000,
      firstAuthor: "whatsapp:+15550001",
      firstMessageAt: 2_000,
      firstReplyAt: 12_000,
      messagesFromFirstAuthor: 2,
      messagesFromOthers: 1,
      closedAt: 60_000,
      lastSeq: 7,
    });
  });
});

describe("intervals", () => {
  it("starts intervals at local boundaries, days at local midnight, across a DST change", () => {
    const at = Date.UTC(2026, 2, 29, 0, 40); // 01:40 in Paris, before clocks go forward at 02:00 local
    expect(zoneOffsetMs(at, "Europe/Paris")).toBe(3_600_000);
    expect(new Date(intervalStart(at, "60m", "Europe/Paris", 0)).toISOString()).toBe(
      "2026-03-29T00:00:00.000Z",
    );
    expect(new Date(intervalStart(at, "day", "Europe/Paris", 0)).toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
    const evening = Date.UTC(2026, 2, 29, 20, 0); // 22:00 CEST
    expect(new Date(intervalStart(evening, "day", "Europe/Paris", 0)).toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
    expect(new Date(intervalStart(Date.UTC(2026, 0, 1, 4, 50), "30m", "Asia/Kolkata", 0)).toISOString()).toBe(
      "2026-01-01T04:30:00.000Z",
    );
    expect(intervalStart(123, "all", "UTC", 7)).toBe(7);
  });
});

describe("database buckets", () => {
  /** The bucket start a database computes for `slice`, as `databaseBuckets` documents it. */
  function bucketStart(slice: number, { size, pieces }: ReturnType<typeof databaseBuckets>): number {
    const piece = pieces.find((p) => slice >= p.fromSlice && slice < p.toSlice)!;
    return Math.max(Math.floor((slice + piece.shift) / size) * size - piece.shift, piece.fromSlice);
  }

  it("sums slices into the local interval that holds them, across offset changes, in any zone", () => {
    // Spring 2026: Paris, New York, Adelaide and Lord Howe change offset; from 07:45 UTC, mid-day.
    const spring = [Date.UTC(2026, 2, 1, 7, 45), Date.UTC(2026, 3, 10)] as const;
    const zones = [
      "UTC",
      "Europe/Paris",
      "America/New_York",
      "Asia/Kolkata",
      "Asia/Kathmandu",
      "Australia/Adelaide",
      "Australia/Lord_Howe",
    ];
    for (const zone of zones) {
      for (const interval of ["30m", "60m", "day"] as const) {
        const buckets = databaseBuckets(interval, zone, ...spring);
        const first = spring[0] / SLICE_MS;
        expect(buckets.pieces[0]!.fromSlice).toBe(first);
        expect(buckets.pieces.at(-1)!.toSlice).toBe(spring[1] / SLICE_MS);
        for (let slice = first; slice < spring[1] / SLICE_MS; slice++) {
          const start = bucketStart(slice, buckets);
          const own = intervalStart(slice * SLICE_MS, interval, zone, spring[0]);
          // The bucket starts in the slice's own local interval, at most at the slice.
          if (intervalStart(start * SLICE_MS, interval, zone, spring[0]) !== own || start > slice) {
            expect({ zone, interval, slice: new Date(slice * SLICE_MS), start }).toBe("in its interval");
          }
        }
      }
    }
    // Paris changes offset twice a year; Lord Howe by half an hour.
    const year = [Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)] as const;
    expect(databaseBuckets("day", "Europe/Paris", ...year).pieces.map((p) => p.shift)).toEqual([4, 8, 4]);
    expect(databaseBuckets("60m", "Australia/Lord_Howe", ...year).pieces.map((p) => p.shift)).toEqual([
      44, 42, 44,
    ]);
    expect(databaseBuckets("all", "UTC", ...year)).toEqual({ size: 0, pieces: [] });
  });
});
