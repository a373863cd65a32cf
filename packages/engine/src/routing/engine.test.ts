import { describe, expect, it } from "vitest";
import { describeEvent, eventCallbackParams } from "./events.ts";
import { RoutingError } from "./model.ts";
import { Scenario } from "./scenario.ts";

describe("routing: the task lifecycle", () => {
  it("reserves an available worker, and walks pending → reserved → assigned → wrapping → completed with Twilio's events", () => {
    const s = new Scenario();
    const support = s.queue("Support");
    const workflow = s.simpleWorkflow(support);
    const alice = s.worker("alice");
    const task = s.task(workflow, { type: "support" });

    const reservation = s.pendingReservation(task)!;
    expect(s.workerOf(reservation)).toBe(alice);
    expect(s.engine.task(task)!.status).toBe("reserved");
    expect(s.engine.worker(alice)!.channels.find((c) => c.channelSid.endsWith("1"))!.active).toBe(1);

    s.log.length = 0;
    s.record(s.engine.acceptReservation(reservation));
    expect(s.engine.task(task)!.status).toBe("assigned");
    s.record(s.engine.wrapUpTask(task));
    expect(s.engine.reservation(reservation)!.status).toBe("wrapping");
    s.record(s.engine.completeTask(task, "resolved"));
    expect(s.types()).toEqual([
      "reservation.accepted",
      "task.wrapup",
      "reservation.wrapup",
      "task.completed",
      "reservation.completed",
    ]);
    expect(s.engine.task(task)).toMatchObject({ status: "completed", reason: "resolved" });
    expect(s.engine.worker(alice)!.channels.every((c) => c.active === 0)).toBe(true);
  });

  it("emits the documented sequence on creation", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice");
    s.log.length = 0;
    s.task(w);
    expect(s.types()).toEqual([
      "task.created",
      "workflow.entered",
      "task-queue.entered",
      "workflow.target-matched",
      "reservation.created",
    ]);
  });

  it("builds the EventCallbackUrl parameters of an event", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice", { skills: ["en"] });
    const task = s.task(w, { lang: "en" }, { priority: 3 });
    const created = s.log.find((e) => e.type === "reservation.created")!;
    const params = eventCallbackParams(created, {
      accountSid: "AC1",
      workspaceSid: "WS1",
      workspaceName: "Main",
    });
    expect(params).toMatchObject({
      EventType: "reservation.created",
      AccountSid: "AC1",
      WorkspaceSid: "WS1",
      WorkspaceName: "Main",
      ResourceType: "reservation",
      TaskSid: task,
      TaskAttributes: '{"lang":"en"}',
      TaskPriority: "3",
      TaskAssignmentStatus: "reserved",
      TaskQueueSid: q,
      TaskQueueName: "Support",
      WorkflowSid: w,
      WorkerName: "alice",
      WorkerAttributes: '{"skills":["en"]}',
      WorkerActivityName: "Available",
      WorkerActivityAvailable: "true",
      TaskChannelUniqueName: "default",
    });
    expect(params.ReservationSid).toBe(created.resourceSid);
    expect(params.EventDescription).toBe(`Reservation ${created.resourceSid} created for alice`);
    const update = s.engine.updateWorker(s.engine.allWorkers()[0]!.sid, { activitySid: s.activity.break })
      .events[0]!;
    expect(describeEvent(update)).toBe("Worker alice updated to Break Activity");
  });

  it("refuses commands that do not fit the state, changing nothing", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice");
    const task = s.task(w);
    const reservation = s.pendingReservation(task)!;
    s.record(s.engine.acceptReservation(reservation));
    expect(() => s.engine.acceptReservation(reservation)).toThrow(RoutingError);
    expect(() => s.engine.rejectReservation(reservation)).toThrow(/accepted, not pending/);
    expect(() => s.engine.cancelTask(task)).toThrow(/only pending or reserved/);
    expect(() => s.engine.createTask({ workflowSid: "WW404" })).toThrow(/does not exist/);
    expect(() => s.engine.createTask({ workflowSid: w, priority: -1 })).toThrow(/Priority/);
    expect(() => s.engine.createTask({ workflowSid: w, channel: "fax" })).toThrow(/TaskChannel fax/);
    expect(() => s.engine.createWorker({ friendlyName: "ALICE", activitySid: s.activity.available })).toThrow(
      /already exists/,
    );
    expect(() => s.engine.removeWorker(s.workerOf(reservation))).toThrow(/active reservations/);
    expect(() => s.engine.removeQueue(q)).toThrow(/live tasks/);
    expect(s.engine.task(task)!.status).toBe("assigned");
  });

  it("explains a finished task after its workflow and queue are gone", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice");
    const task = s.task(w);
    s.record(s.engine.acceptReservation(s.pendingReservation(task)!));
    s.record(s.engine.completeTask(task));
    s.record(s.engine.removeWorkflow(w));
    s.record(s.engine.removeQueue(q));
    const explanation = s.engine.explain(task);
    expect(explanation.position).toMatchObject({ filter: "default", queueSid: q });
    expect(explanation.candidates.map((c) => c.workerSid)).toEqual([alice]);
  });
});

describe("routing: workers", () => {
  it("offers tasks to the longest-idle worker first", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const first = s.worker("first");
    s.clock.advance(1000);
    const second = s.worker("second");
    const t1 = s.task(w);
    const t2 = s.task(w);
    expect(s.workerOf(s.pendingReservation(t1)!)).toBe(first);
    expect(s.workerOf(s.pendingReservation(t2)!)).toBe(second);
    // first finishes and becomes idle again, after second became busy: second is the next idle one later.
    s.record(s.engine.acceptReservation(s.pendingReservation(t1)!));
    s.record(s.engine.completeTask(t1));
    s.record(s.engine.acceptReservation(s.pendingReservation(t2)!));
    s.record(s.engine.completeTask(t2));
    const t3 = s.task(w);
    expect(s.workerOf(s.pendingReservation(t3)!)).toBe(first);
    // Completed without a reason: the default one. A wrap-up's reason gives way to the completion's.
    expect(s.engine.task(t1)).toMatchObject({ status: "completed", reason: "Task completed" });
    s.record(s.engine.acceptReservation(s.pendingReservation(t3)!));
    s.record(s.engine.wrapUpTask(t3, "call ended"));
    expect(s.engine.task(t3)).toMatchObject({ status: "wrapping", reason: "call ended" });
    s.record(s.engine.completeTask(t3));
    expect(s.engine.task(t3)).toMatchObject({ status: "completed", reason: "Task completed" });
  });

  it("never offers tasks to unavailable workers, and routes waiting tasks when one becomes available", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice", {}, { available: false });
    const task = s.task(w);
    expect(s.engine.task(task)!.status).toBe("pending");
    s.log.length = 0;
    s.record(s.engine.updateWorker(alice, { activitySid: s.activity.available }));
    expect(s.types()).toEqual(["worker.activity.update", "reservation.created"]);
    const update = s.log[0]!;
    expect(update.previousActivity).toMatchObject({ name: "Offline" });
  });

  it("multitasks up to each channel's capacity", () => {
    const s = new Scenario();
    const q = s.queue("Chat");
    const w = s.simpleWorkflow(q);
    const li = s.worker("li", {}, { capacity: { chat: 3 } });
    const tasks = [1, 2, 3, 4].map(() => s.task(w, {}, { channel: "chat" }));
    for (const t of tasks.slice(0, 3)) expect(s.workerOf(s.pendingReservation(t)!)).toBe(li);
    expect(s.engine.task(tasks[3]!)!.status).toBe("pending");
    s.record(s.engine.acceptReservation(s.pendingReservation(tasks[0]!)!));
    s.record(s.engine.completeTask(tasks[0]!));
    expect(s.pendingReservation(tasks[3]!)).toBeDefined();
  });

  it("routes on a channel removed and made again as on a new one, and on the others as before", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const ana = s.worker("ana");
    const sms = s.engine.task(s.task(w, {}, { channel: "sms" }))!.channelSid;
    s.record(s.engine.acceptReservation(s.pendingReservation(s.engine.allTasks()[0]!.sid)!));
    s.record(s.engine.completeTask(s.engine.allTasks()[0]!.sid));
    expect(() => s.engine.removeChannel(sms)).not.toThrow();
    expect(() => s.task(w, {}, { channel: "sms" })).toThrow(/TaskChannel sms/);
    // The queue's lines for the old channel are gone; a channel made again starts with none.
    s.record(s.engine.putChannel({ sid: sms, uniqueName: "sms", friendlyName: "SMS" }));
    const again = s.task(w, {}, { channel: "sms" });
    expect(s.workerOf(s.pendingReservation(again)!)).toBe(ana);
    const chat = s.task(w, {}, { channel: "chat" });
    expect(s.workerOf(s.pendingReservation(chat)!)).toBe(ana);
    s.record(s.engine.rejectReservation(s.pendingReservation(again)!));
    expect(s.engine.task(again)!.status).toBe("pending");
    expect(s.engine.realtimeStatistics({ kind: "queue", sid: q }).tasks_by_status.pending).toBe(1);
  });

  it("honours capacity 0 and channel availability", () => {
    const s = new Scenario();
    const q = s.queue("Voice");
    const w = s.simpleWorkflow(q);
    const bob = s.worker("bob", {}, { capacity: { voice: 0 } });
    const task = s.task(w, {}, { channel: "voice" });
    expect(s.engine.task(task)!.status).toBe("pending");
    s.record(s.engine.setWorkerChannel(bob, "voice", { capacity: 1, available: false }));
    expect(s.engine.task(task)!.status).toBe("pending");
    s.record(s.engine.setWorkerChannel(bob, "voice", { available: true }));
    expect(s.engine.task(task)!.status).toBe("reserved");
    expect(s.types()).toContain("worker.capacity.update");
    expect(s.types()).toContain("worker.channel.availability.update");
  });

  it.each([
    [
      "no chat while on a voice call",
      { channel: "chat", whileOn: "voice", atLeast: 1 },
      "voice",
      "chat",
      1,
      false,
    ],
    [
      "a voice call while on at most one chat",
      { channel: "voice", whileOn: "chat", atLeast: 2 },
      "chat",
      "voice",
      1,
      true,
    ],
    [
      "no voice call while on 2+ chats",
      { channel: "voice", whileOn: "chat", atLeast: 2 },
      "chat",
      "voice",
      2,
      false,
    ],
  ] as const)("applies the channel rule: %s", (_name, rule, busyOn, offered, busyCount, expectOffered) => {
    const s = new Scenario({ channelRules: [rule] });
    const q = s.queue("All");
    const w = s.simpleWorkflow(q);
    s.worker("li", {}, { capacity: { chat: 3, voice: 1 } });
    for (let i = 0; i < busyCount; i++)
      s.record(s.engine.acceptReservation(s.pendingReservation(s.task(w, {}, { channel: busyOn }))!));
    const task = s.task(w, {}, { channel: offered });
    expect(s.engine.task(task)!.status).toBe(expectOffered ? "reserved" : "pending");
    if (!expectOffered) {
      const verdict = s.engine.explain(task).candidates[0]!;
      expect(verdict.verdict).toBe("channel_rule");
    }
  });

  it("applies a channel rule made before its channel, from the moment the channel is created", () => {
    const s = new Scenario({ channelRules: [{ channel: "video", whileOn: "voice", atLeast: 1 }] });
    const q = s.queue("All");
    const w = s.simpleWorkflow(q);
    s.worker("li");
    s.record(s.engine.acceptReservation(s.pendingReservation(s.task(w, {}, { channel: "voice" }))!));
    s.record(s.engine.putChannel({ sid: `TC${"9".repeat(32)}`, uniqueName: "video", friendlyName: "Video" }));
    const task = s.task(w, {}, { channel: "video" });
    expect(s.engine.task(task)!.status).toBe("pending");
    expect(s.engine.explain(task).candidates[0]!.verdict).toBe("channel_rule");
  });

  it("moves a worker whose reservation times out to the timeout activity, and offers the task to the next worker", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice");
    s.clock.advance(10);
    const bob = s.worker("bob");
    const task = s.task(w);
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(alice);
    s.advance(119);
    expect(s.engine.task(task)!.status).toBe("reserved");
    const events = s.advance(1);
    expect(events.map((e) => e.type)).toEqual([
      "reservation.timeout",
      "worker.activity.update",
      "reservation.created",
    ]);
    expect(s.engine.worker(alice)!.activityName).toBe("Offline");
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(bob);
  });

  it("uses the workflow's reservation timeout", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.workflow({ filters: [], default_filter: { queue: q } }, { taskReservationTimeout: 15 });
    s.worker("alice");
    const task = s.task(w);
    expect(s.advance(15).map((e) => e.type)).toContain("reservation.timeout");
    expect(s.engine.task(task)!.status).toBe("pending");
  });

  it("on reject, moves the worker to the given activity and never offers that task to them again", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice");
    const task = s.task(w);
    const first = s.pendingReservation(task)!;
    s.record(s.engine.rejectReservation(first));
    expect(s.engine.task(task)!.status).toBe("pending");
    expect(s.engine.worker(alice)!.activityName).toBe("Available");
    expect(s.engine.explain(task).candidates).toMatchObject([{ workerSid: alice, verdict: "rejected" }]);
    const bob = s.worker("bob");
    const second = s.pendingReservation(task)!;
    expect(s.workerOf(second)).toBe(bob);
    s.record(s.engine.rejectReservation(second, { activitySid: s.activity.break }));
    expect(s.engine.worker(bob)!.activityName).toBe("Break");
  });

  it("re-indexes queue membership when attributes change", () => {
    const s = new Scenario();
    const billing = s.queue("Billing", "skills HAS 'billing'");
    const w = s.simpleWorkflow(billing);
    const grace = s.worker("grace", { skills: ["sales"] });
    const task = s.task(w);
    expect(s.engine.task(task)!.status).toBe("pending");
    expect(s.engine.queueMembers(billing)).toEqual([]);
    s.record(s.engine.updateWorker(grace, { attributes: { skills: ["sales", "billing"] } }));
    expect(s.engine.queueMembers(billing)).toEqual([grace]);
    expect(s.engine.task(task)!.status).toBe("reserved");
    s.record(s.engine.updateWorker(grace, { attributes: { skills: [] } }));
    expect(s.engine.queueMembers(billing)).toEqual([]);
    expect(s.engine.queuesForAttributes({ skills: ["billing"] })).toEqual([billing]);
  });

  it("keeps every queue's members equal to the workers its TargetWorkers admits, however attributes change", () => {
    const s = new Scenario();
    const queues = [
      s.queue("Billing", "skills HAS 'billing'"),
      s.queue("Senior billing", "skills HAS 'billing' AND level >= 3"),
      s.queue("French", "lang IN ['fr', 'fr-CA'] OR 'fr' IN skills"),
      s.queue("Team A", "team.name == 'a'"),
      s.queue("Seniors", "level > 3"),
      s.queue("Nobody", "1 == 0"),
      s.queue("Everyone", "1 == 1"),
    ];
    s.queue("Billing again", "skills HAS 'billing'");
    let seed = 7;
    const pick = <T>(items: readonly T[]): T => items[(seed = (seed * 48271) % 2147483647) % items.length]!;
    const attributes = () => ({
      skills: pick([[], ["billing"], ["fr", "billing"], ["fr"], "billing"]),
      level: pick([1, 3, 5]),
      lang: pick(["fr", "fr-CA", "en", undefined]),
      team: pick([{ name: "a" }, { name: "b" }, "a"]),
    });
    const workers = Array.from({ length: 12 }, (_, i) => s.worker(`w${i}`, attributes()));
    for (let round = 0; round < 60; round++) {
      s.record(s.engine.updateWorker(pick(workers), { attributes: attributes() }));
      for (const queue of queues) {
        const admitted = workers.filter((sid) =>
          s.engine.queuesForAttributes(s.engine.worker(sid)!.attributes).includes(queue),
        );
        expect(s.engine.queueMembers(queue).sort()).toEqual(admitted.sort());
      }
    }
  });

  it("re-evaluates membership when a queue's TargetWorkers change", () => {
    const s = new Scenario();
    const q = s.queue("Spanish", "languages HAS 'es'");
    const w = s.simpleWorkflow(q);
    const ana = s.worker("ana", { languages: ["pt"] });
    const task = s.task(w);
    s.record(
      s.engine.putQueue({
        sid: q,
        friendlyName: "Iberian",
        targetWorkers: "languages HAS 'pt'",
        maxReservedWorkers: 1,
        taskOrder: "FIFO",
      }),
    );
    expect(s.types()).toContain("task-queue.expression.updated");
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(ana);
    expect(() =>
      s.engine.putQueue({
        sid: q,
        friendlyName: "x",
        targetWorkers: "languages HAS",
        maxReservedWorkers: 1,
        taskOrder: "FIFO",
      }),
    ).toThrow(/TargetWorkers: expected an operand .* at position 13/);
  });
});

describe("routing: queues", () => {
  it("orders tasks by priority, then age (FIFO)", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const low = s.task(w, {}, { priority: 1 });
    s.clock.advance(1000);
    const high = s.task(w, {}, { priority: 5 });
    s.clock.advance(1000);
    const high2 = s.task(w, {}, { priority: 5 });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const worker = s.worker(`w${i}`);
      const reservation = s.engine.reservationsOfWorker(worker)[0]!;
      order.push(reservation.taskSid);
    }
    expect(order).toEqual([high, high2, low]);
  });

  it("offers the newest task first in a LIFO queue", () => {
    const s = new Scenario();
    const q = s.queue("Callbacks", "1==1", { taskOrder: "LIFO" });
    const w = s.simpleWorkflow(q);
    const old = s.task(w);
    s.clock.advance(1000);
    const recent = s.task(w);
    s.worker("alice");
    expect(s.pendingReservation(recent)).toBeDefined();
    expect(s.engine.task(old)!.status).toBe("pending");
  });

  it("reserves several workers at once with MaxReservedWorkers; the first accept rescinds the rest", () => {
    const s = new Scenario();
    const q = s.queue("Sales", "1==1", { maxReservedWorkers: 3 });
    const w = s.simpleWorkflow(q);
    const workers = ["a", "b", "c", "d"].map((n) => s.worker(n));
    const task = s.task(w);
    const pending = s.engine.reservationsOfTask(task).filter((r) => r.status === "pending");
    expect(pending.map((r) => r.workerSid)).toEqual(workers.slice(0, 3));
    s.log.length = 0;
    s.record(s.engine.acceptReservation(pending[1]!.sid));
    expect(s.types()).toEqual(["reservation.accepted", "reservation.rescinded", "reservation.rescinded"]);
    expect(s.engine.reservationsOfTask(task).map((r) => r.status)).toEqual([
      "rescinded",
      "accepted",
      "rescinded",
    ]);
    expect(() => s.engine.acceptReservation(pending[0]!.sid)).toThrow(/rescinded, not pending/);
  });
});

describe("routing: workflows", () => {
  it("uses the first matching filter, else the default filter, else cancels with a reason", () => {
    const s = new Scenario();
    const sales = s.queue("Sales");
    const support = s.queue("Support");
    const fallback = s.queue("Everyone");
    const w = s.workflow({
      filters: [
        { filter_friendly_name: "Leads", expression: "type == 'lead'", targets: [{ queue: sales }] },
        {
          filter_friendly_name: "Tickets",
          expression: "type == 'ticket' AND customer_value IN ['Silver', 'Bronze']",
          targets: [{ queue: support }],
        },
      ],
      default_filter: { queue: fallback },
    });
    expect(s.engine.task(s.task(w, { type: "lead" }))!.queueSid).toBe(sales);
    expect(s.engine.task(s.task(w, { type: "ticket", customer_value: "Bronze" }))!.queueSid).toBe(support);
    const other = s.engine.task(s.task(w, { type: "ticket", customer_value: "Gold" }))!;
    expect(other).toMatchObject({
      queueSid: fallback,
      routing: { filter: "default", filterName: "Default Filter" },
    });

    const strict = s.workflow({ filters: [{ expression: "type == 'lead'", targets: [{ queue: sales }] }] });
    expect(s.engine.task(s.task(strict, { type: "x" }))).toMatchObject({
      status: "canceled",
      reason: "No filter matched and the workflow has no default_filter",
    });
  });

  it("escalates on timeout to the next target with its priority, and cancels after the last one", () => {
    const s = new Scenario();
    const tier1 = s.queue("Tier 1", "level == 1");
    const tier2 = s.queue("Tier 2", "level == 2");
    const w = s.workflow({
      filters: [
        {
          filter_friendly_name: "Escalate",
          expression: "1==1",
          targets: [
            { queue: tier1, timeout: 60, priority: 1 },
            { queue: tier2, timeout: "30", priority: "10" },
          ],
        },
      ],
    });
    const task = s.task(w);
    expect(s.engine.task(task)).toMatchObject({ queueSid: tier1, priority: 1, routing: { step: 0 } });
    const escalation = s.advance(60);
    expect(escalation.map((e) => e.type)).toEqual([
      "task-queue.timeout",
      "task-queue.moved",
      "task-queue.entered",
      "workflow.target-matched",
    ]);
    expect(s.engine.task(task)).toMatchObject({ queueSid: tier2, priority: 10, routing: { step: 1 } });
    const end = s.advance(30);
    expect(end.map((e) => e.type)).toEqual(["task-queue.timeout", "workflow.timeout", "task.canceled"]);
    expect(s.engine.task(task)).toMatchObject({ status: "canceled", reason: "Workflow Timeout" });
  });

  it("waits for a pending reservation before moving on when a step times out", () => {
    const s = new Scenario();
    const q1 = s.queue("One");
    const q2 = s.queue("Two", "x == 1");
    const w = s.workflow(
      { filters: [{ expression: "1==1", targets: [{ queue: q1, timeout: 10 }, { queue: q2 }] }] },
      { taskReservationTimeout: 60 },
    );
    const alice = s.worker("alice");
    const task = s.task(w);
    s.advance(10);
    expect(s.engine.task(task)).toMatchObject({ status: "reserved", queueSid: q1 });
    s.record(s.engine.rejectReservation(s.engine.reservationsOfWorker(alice)[0]!.sid));
    expect(s.engine.task(task)).toMatchObject({ status: "pending", queueSid: q2 });
  });

  it("keeps parked tasks with a 1==0 step until the step times out (callback retries)", () => {
    const s = new Scenario();
    const q = s.queue("Callbacks");
    const w = s.workflow({
      filters: [
        {
          filter_friendly_name: "Retry",
          expression: "callBackData.attempts == 1",
          targets: [{ queue: q, expression: "1==0", timeout: 600 }, { queue: q }],
        },
        { filter_friendly_name: "Initial", expression: "1==1", targets: [{ queue: q }] },
      ],
      default_filter: { queue: q },
    });
    s.worker("alice");
    const retry = s.task(w, { callBackData: { attempts: 1 } });
    expect(s.engine.task(retry)!.status).toBe("pending");
    expect(s.engine.explain(retry).candidates[0]!.verdict).toBe("expression_false");
    s.advance(600);
    expect(s.engine.task(retry)!.status).toBe("reserved");
  });

  it("matches task and worker attributes in target expressions", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.workflow({
      filters: [
        {
          expression: "1==1",
          targets: [{ queue: q, expression: "task.required_language IN worker.spoken_languages" }],
        },
      ],
    });
    s.worker("en-only", { spoken_languages: ["en"] });
    const bilingual = s.worker("bilingual", { spoken_languages: ["en", "es"] });
    const task = s.task(w, { required_language: "es" });
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(bilingual);
    const verdicts = Object.fromEntries(
      s.engine.explain(task).candidates.map((c) => [c.workerName, c.verdict]),
    );
    expect(verdicts).toEqual({ "en-only": "expression_false", bilingual: "offered" });
  });

  it("orders workers by order_by, missing attributes last", () => {
    const s = new Scenario();
    const q = s.queue("Sales");
    const w = s.workflow({
      filters: [
        { expression: "1==1", targets: [{ queue: q, order_by: "worker.level DESC, worker.tenure ASC" }] },
      ],
    });
    s.worker("none");
    s.worker("mid", { level: 2, tenure: 5 });
    const senior = s.worker("senior-new", { level: 3, tenure: 1 });
    s.worker("senior-old", { level: 3, tenure: 9 });
    const task = s.task(w);
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(senior);
  });

  it("skips a step when skip_if holds and nobody could take the task", () => {
    const s = new Scenario();
    const specialists = s.queue("Specialists", "specialist == true");
    const everyone = s.queue("Everyone");
    const w = s.workflow({
      filters: [
        {
          expression: "1==1",
          targets: [{ queue: specialists, skip_if: "workers.available == 0" }, { queue: everyone }],
        },
      ],
    });
    s.worker("specialist", { specialist: true }, { available: false });
    const generalist = s.worker("generalist");
    const task = s.task(w);
    expect(s.engine.task(task)).toMatchObject({ queueSid: everyone, routing: { step: 1 } });
    expect(s.workerOf(s.pendingReservation(task)!)).toBe(generalist);
  });

  it("falls through to later filters when every step of a filter is skipped", () => {
    const s = new Scenario();
    const a = s.queue("A", "x == 1");
    const b = s.queue("B");
    const w = s.workflow({
      filters: [
        { filter_friendly_name: "First", expression: "1==1", targets: [{ queue: a, skip_if: "1==1" }] },
        { filter_friendly_name: "Second", expression: "1==1", targets: [{ queue: b }] },
      ],
    });
    const task = s.task(w);
    expect(s.engine.task(task)).toMatchObject({ queueSid: b, routing: { filterName: "Second" } });
    expect(s.types()).toContain("workflow.skipped");
  });

  it("routes to a known worker by SID or friendly name, with a fallback step", () => {
    const s = new Scenario();
    const q = s.queue("Everyone");
    const w = s.workflow({
      filters: [
        {
          expression: "via == 'sid'",
          targets: [{ queue: q, known_worker_sid: "task.agent_sid", timeout: 10 }, { queue: q }],
        },
        {
          expression: "via == 'name'",
          targets: [{ queue: q, known_worker_friendly_name: "task.routing.agent" }],
        },
      ],
    });
    s.worker("alice");
    s.clock.advance(10);
    const bob = s.worker("bob");
    const bySid = s.task(w, { via: "sid", agent_sid: bob });
    expect(s.workerOf(s.pendingReservation(bySid)!)).toBe(bob);

    const byName = s.task(w, { via: "name", routing: { agent: "BOB" } });
    expect(s.engine.task(byName)!.status).toBe("pending"); // bob is busy; alice is not the known worker
    expect(s.engine.explain(byName).candidates.find((c) => c.workerName === "alice")!.verdict).toBe(
      "not_known_worker",
    );
    s.record(s.engine.acceptReservation(s.pendingReservation(bySid)!));
    s.record(s.engine.completeTask(bySid));
    expect(s.workerOf(s.pendingReservation(byName)!)).toBe(bob);

    const nobody = s.task(w, { via: "sid", agent_sid: null });
    expect(s.engine.task(nobody)!.status).toBe("pending");
    s.advance(10);
    expect(s.engine.task(nobody)!.status).toBe("reserved");
  });

  it("re-evaluates a waiting task when its attributes change", () => {
    const s = new Scenario();
    const sales = s.queue("Sales");
    const support = s.queue("Support", "x == 1");
    const w = s.workflow({
      filters: [
        { expression: "type == 'sale'", targets: [{ queue: sales }] },
        { expression: "type == 'help'", targets: [{ queue: support }] },
      ],
    });
    const task = s.task(w, { type: "help" });
    expect(s.engine.task(task)!.queueSid).toBe(support);
    s.record(s.engine.updateTask(task, { attributes: { type: "sale" } }));
    expect(s.engine.task(task)!.queueSid).toBe(sales);
    expect(s.types()).toContain("task.updated");
  });

  it("re-routes waiting tasks through a changed workflow when asked", () => {
    const s = new Scenario();
    const a = s.queue("A", "x == 1");
    const b = s.queue("B");
    const w = s.workflow({ filters: [], default_filter: { queue: a } });
    const task = s.task(w);
    s.record(
      s.engine.putWorkflow(
        {
          sid: w,
          friendlyName: "v2",
          configuration: { task_routing: { filters: [{ expression: "1==1", targets: [{ queue: b }] }] } },
          taskReservationTimeout: 120,
        },
        { reEvaluateTasks: true },
      ),
    );
    expect(s.engine.task(task)!.queueSid).toBe(b);
  });

  it("cancels tasks whose TTL expires before assignment", () => {
    const s = new Scenario();
    const q = s.queue("Support", "x == 1");
    const w = s.simpleWorkflow(q);
    const task = s.task(w, {}, { timeout: 300 });
    s.advance(300);
    expect(s.engine.task(task)).toMatchObject({ status: "canceled", reason: "Task TTL Exceeded" });
  });

  it("names the bad part of a workflow configuration", () => {
    const s = new Scenario();
    const q = s.queue("Q");
    const put = (task_routing: object) =>
      s.engine.putWorkflow({
        sid: "WW00000000000000000000000000000099",
        friendlyName: "bad",
        configuration: { task_routing },
        taskReservationTimeout: 120,
      });
    expect(() => put({ filters: [{ expression: "a ==", targets: [{ queue: q }] }] })).toThrow(
      /^task_routing\.filters\[0\]\.expression: expected an operand .* at position 4 but found the end of the expression$/,
    );
    expect(() =>
      put({ filters: [{ expression: "1==1", targets: [{ queue: q }, { queue: "WQ404" }] }] }),
    ).toThrow("task_routing.filters[0].targets[1].queue: names TaskQueue WQ404, which does not exist");
    expect(() =>
      put({ filters: [{ expression: "1==1", targets: [{ queue: q, expression: "level > 2" }] }] }),
    ).toThrow(/targets\[0\]\.expression: expected a path starting with task\. or worker\./);
    expect(() =>
      put({ filters: [{ expression: "1==1", targets: [{ queue: q, timeout: "soon" }] }] }),
    ).toThrow(/targets\[0\]\.timeout: must be a whole number/);
    expect(() => put({ filters: [{ expression: "1==1", targets: [] }] })).toThrow(
      /filters\[0\]\.targets: must be a non-empty list/,
    );
    expect(() => put({ default_filter: { queue: "WQ404" } })).toThrow(/default_filter\.queue/);
    expect(() =>
      s.engine.putWorkflow({
        sid: "WW1",
        friendlyName: "x",
        configuration: "{nope",
        taskReservationTimeout: 120,
      }),
    ).toThrow(/not valid JSON/);
  });
});

describe("routing: time of day", () => {
  it("routes a task when the clock makes its step expression true, without any other command", () => {
    const s = new Scenario(); // the clock starts on a Monday at 09:00 UTC
    const q = s.queue("Support");
    const w = s.workflow({
      filters: [
        {
          expression: "1==1",
          targets: [{ queue: q, expression: "task.tier == 'gold' OR taskrouter.currentHour >= 10" }],
        },
      ],
    });
    s.worker("alice");
    s.clock.advance(59 * 60_000);
    const task = s.task(w, { tier: "silver" });
    expect(s.engine.task(task)!.status).toBe("pending");
    expect(s.engine.nextTimerAt()).toBe(Date.UTC(2026, 10, 23, 10, 0, 0));
    s.advance(60);
    expect(s.engine.task(task)!.status).toBe("reserved");
  });

  it("re-tests time-based TargetWorkers each minute", () => {
    const s = new Scenario();
    const late = s.queue("Late shift", "taskrouter.currentHour >= 10");
    const w = s.simpleWorkflow(late);
    const owl = s.worker("owl");
    const task = s.task(w);
    expect(s.engine.queueMembers(late)).toEqual([]);
    s.advance(3600);
    expect(s.engine.queueMembers(late)).toEqual([owl]);
    expect(s.engine.task(task)!.status).toBe("reserved");
  });
});

describe("routing: transfers", () => {
  it("transfers to a worker: the new task goes to them, and the original wraps up once they accept", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice");
    const task = s.task(w, { customer: "c1" });
    s.record(s.engine.acceptReservation(s.pendingReservation(task)!));
    const bob = s.worker("bob");
    const transfer = s.record(s.engine.transferTask(task, { workerSid: bob, queueSid: q }));
    expect(s.engine.task(transfer)).toMatchObject({
      attributes: { customer: "c1", transferredFrom: task },
      transferredFrom: task,
    });
    const offer = s.pendingReservation(transfer)!;
    expect(s.workerOf(offer)).toBe(bob);
    s.record(s.engine.acceptReservation(offer));
    expect(s.engine.task(task)!.status).toBe("wrapping");
    expect(s.types()).toEqual(expect.arrayContaining(["task.transfer-initiated", "task.transfer-completed"]));
    expect(s.engine.worker(alice)!.channels[0]!.active).toBe(1); // wrap-up still holds capacity
  });

  it("reports a failed transfer and leaves the original with its worker", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice");
    const task = s.task(w);
    s.record(s.engine.acceptReservation(s.pendingReservation(task)!));
    const billing = s.queue("Billing", "billing == true");
    s.record(s.engine.transferTask(task, { queueSid: billing }, { timeout: 60 }));
    s.advance(60);
    expect(s.types()).toContain("task.transfer-failed");
    expect(s.engine.task(task)!.status).toBe("assigned");
  });
});

describe("routing: waiting position", () => {
  it("counts the tasks offered before a waiting one, and the queue's staffing", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const alice = s.worker("alice");
    s.task(w, { conversationSid: "CH1" }); // alice takes this one
    s.task(w, { conversationSid: "CH2" });
    s.task(w, { conversationSid: "CH3" });
    s.task(w, { conversationSid: "CH4" }, { priority: 5 });
    // CH1 rings alice: it is being offered, so nobody is ahead of it.
    expect(s.engine.waitingPosition("conversationSid", "CH1")).toMatchObject({ ahead: 0 });
    // CH4 jumps the line by priority; CH3 waits behind CH2, the reserved CH1 and CH4.
    expect(s.engine.waitingPosition("conversationSid", "CH4")).toMatchObject({
      ahead: 0,
      staffedAgents: 1,
      idleAgents: 0,
    });
    expect(s.engine.waitingPosition("conversationSid", "CH3")).toMatchObject({ queueSid: q, ahead: 3 });
    expect(s.engine.waitingPosition("conversationSid", "nope")).toBeUndefined();
    s.record(s.engine.acceptReservation(s.pendingReservation(s.engine.allTasks()[0]!.sid)!));
    expect(s.engine.waitingPosition("conversationSid", "CH1")).toBeUndefined(); // assigned: no longer waiting
    expect(s.engine.worker(alice)!.channels[0]!.active).toBe(1);
  });
});

describe("routing: memory", () => {
  it("forgets finished tasks and their reservations after the retention window, never live ones", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice");
    const done = s.task(w);
    const reservation = s.pendingReservation(done)!;
    s.record(s.engine.acceptReservation(reservation));
    s.record(s.engine.completeTask(done));
    const live = s.task(w, {}, { timeout: 3600 });
    s.record(s.engine.acceptReservation(s.pendingReservation(live)!));
    s.advance(9 * 60);
    expect(s.engine.task(done)?.status).toBe("completed");
    expect(s.engine.nextTimerAt()).toBe(s.engine.task(done)!.dateCreated + 10 * 60_000);
    s.advance(60);
    expect(s.engine.task(done)).toBeUndefined();
    expect(s.engine.reservation(reservation)).toBeUndefined();
    expect(s.engine.task(live)?.status).toBe("assigned");
  });

  it("hands a forgotten task's times to a new task without mixing them with a live one's", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const live = s.task(w, {}, { timeout: 7200 });
    const finished = [s.task(w), s.task(w)];
    s.record(s.engine.cancelTask(finished[0]!));
    s.record(s.engine.deleteTask(finished[1]!));
    s.advance(11 * 60);
    expect(s.engine.task(finished[0]!)).toBeUndefined();
    const liveBefore = s.engine.task(live)!;
    const reused = [s.task(w, {}, { virtualStartTime: s.clock.now() - 5000 }), s.task(w)];
    for (const sid of reused) {
      const task = s.engine.task(sid)!;
      expect(task.dateCreated).toBe(s.clock.now());
      expect(task.queueEnteredAt).toBe(s.clock.now());
      expect(task.routing?.stepEnteredAt).toBe(s.clock.now());
    }
    expect(s.engine.task(reused[0]!)!.virtualStartTime).toBe(s.clock.now() - 5000);
    expect(s.engine.task(reused[1]!)!.virtualStartTime).toBe(s.clock.now());
    expect(s.engine.task(live)).toEqual(liveBefore);
    // A canceled task keeps its times until it is forgotten.
    s.record(s.engine.cancelTask(reused[1]!));
    s.clock.advance(1000);
    s.task(w);
    expect(s.engine.task(reused[1]!)!.dateCreated).toBe(s.clock.now() - 1000);
  });
});

describe("routing: statistics", () => {
  it("keeps real-time counts per queue and workspace", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    s.worker("alice");
    s.worker("bob", {}, { available: false });
    const t1 = s.task(w, {}, { priority: 2 });
    s.clock.advance(30_000);
    const t2 = s.task(w);
    s.clock.advance(15_000);
    s.record(s.engine.acceptReservation(s.pendingReservation(t1)!));
    const stats = s.engine.realtimeStatistics({ kind: "queue", sid: q });
    expect(stats).toMatchObject({
      tasks_by_status: { pending: 1, reserved: 0, assigned: 1, wrapping: 0 },
      tasks_by_priority: { "0": 1 },
      total_tasks: 2,
      longest_task_waiting_sid: t2,
      longest_task_waiting_age: 15,
      total_eligible_workers: 2,
      total_available_workers: 1,
    });
    expect(stats.activity_statistics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ friendly_name: "Available", workers: 1 }),
        expect.objectContaining({ friendly_name: "Offline", workers: 1 }),
      ]),
    );
    const workspace = s.engine.realtimeStatistics({ kind: "workspace" });
    expect(workspace).toMatchObject({ total_tasks: 2, total_workers: 2 });
  });

  it("accumulates reservation and task outcomes over a window, with wait-time splits", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const start = s.clock.now();
    const alice = s.worker("alice");
    const fast = s.task(w);
    s.clock.advance(5_000);
    s.record(s.engine.acceptReservation(s.pendingReservation(fast)!));
    const slow = s.task(w);
    s.clock.advance(40_000);
    s.record(s.engine.completeTask(fast));
    s.clock.advance(10_000);
    s.record(s.engine.acceptReservation(s.pendingReservation(slow)!));
    const gone = s.task(w);
    s.clock.advance(20_000);
    s.record(s.engine.cancelTask(gone, "abandoned"));
    void alice;
    const stats = s.engine.cumulativeStatistics({ kind: "queue", sid: q }, start, s.clock.now(), {
      splitByWaitTime: [20],
    });
    expect(stats).toMatchObject({
      tasks_entered: 3,
      tasks_completed: 1,
      tasks_canceled: 1,
      reservations_created: 2,
      reservations_accepted: 2,
      wait_duration_until_accepted: { min: 5, max: 50, total: 55, avg: 28 },
      wait_duration_until_canceled: { min: 20, max: 20 },
      split_by_wait_time: {
        "20": {
          below: { reservations_accepted: 1, tasks_canceled: 0 },
          above: { reservations_accepted: 1, tasks_canceled: 1 },
        },
      },
    });
    const earlier = s.engine.cumulativeStatistics({ kind: "queue", sid: q }, start, start + 1_000);
    expect(earlier.tasks_entered).toBe(1);
  });

  it("accumulates a worker's reservations and time per activity, the current stretch included", () => {
    const s = new Scenario();
    const q = s.queue("Support");
    const w = s.simpleWorkflow(q);
    const start = s.clock.now();
    const alice = s.worker("alice");
    s.worker("bob", {}, { available: false });
    const first = s.task(w);
    s.clock.advance(10_000);
    s.record(s.engine.rejectReservation(s.pendingReservation(first)!, { activitySid: s.activity.offline }));
    s.clock.advance(60_000);
    s.record(s.engine.updateWorker(alice, { activitySid: s.activity.available }));
    s.clock.advance(20_000);
    const end = s.clock.now();
    const stats = s.engine.workerCumulativeStatistics(alice, start, end);
    expect(stats).toMatchObject({
      reservations_created: 1,
      reservations_rejected: 1,
      reservations_accepted: 0,
    });
    const time = (name: string) => stats.activity_durations.find((a) => a.friendly_name === name)!;
    // Available 10 s, then Offline 60 s, then Available again for the last 20 s (still going on).
    expect(time("Available")).toMatchObject({ total: 30, min: 10, max: 20, avg: 15 });
    expect(time("Offline")).toMatchObject({ total: 60, min: 60, max: 60 });
    // The window clips stretches: the last 30 s hold 10 s of Offline and 20 s of Available.
    const recent = s.engine.workerCumulativeStatistics(alice, end - 30_000, end);
    expect(recent.activity_durations.find((a) => a.friendly_name === "Offline")!.total).toBe(10);
    expect(recent.activity_durations.find((a) => a.friendly_name === "Available")!.total).toBe(20);
    // Everyone: bob spent the whole 90 s Offline and was offered nothing; alice is not offered the
    // task she rejected again.
    const everyone = s.engine.workerCumulativeStatistics(undefined, start, end);
    expect(everyone.reservations_created).toBe(1);
    expect(everyone.activity_durations.find((a) => a.friendly_name === "Offline")!.total).toBe(150);
  });
});

describe("routing: a sample task", () => {
  it("shows where a task would go under an unsaved configuration, with each candidate's verdict, and changes nothing", () => {
    const s = new Scenario();
    const billing = s.queue("Billing", "'billing' IN skills");
    const everyone = s.queue("Everyone");
    const carol = s.worker("carol", { skills: ["billing"], level: 1 });
    const dave = s.worker("dave", { skills: ["billing"], level: 3 });
    const erin = s.worker("erin", { skills: ["billing"], level: 5 }, { available: false });
    s.worker("frank", { skills: ["sales"] });
    const configuration = {
      task_routing: {
        filters: [
          { filter_friendly_name: "Sales", expression: "type == 'sales'", targets: [{ queue: everyone }] },
          {
            filter_friendly_name: "Billing first",
            expression: "type == 'billing'",
            targets: [
              {
                queue: billing,
                expression: "worker.level >= task.level",
                order_by: "worker.level DESC",
                timeout: 60,
              },
              { queue: everyone },
            ],
          },
        ],
        default_filter: { queue: everyone },
      },
    };
    const before = s.engine.allTasks().length;
    s.log.length = 0;
    const sample = s.engine.routeSample(configuration, { type: "billing", level: 2 });
    expect(sample.filters.map((f) => f.matches)).toEqual([false, true]);
    expect(sample.filter).toBe(1);
    const [first, second] = sample.steps;
    expect(first).toMatchObject({ queueName: "Billing", timeout: 60, orderBy: "worker.level DESC" });
    const verdicts = Object.fromEntries(first!.candidates.map((c) => [c.workerSid, c.verdict]));
    expect(verdicts).toEqual({ [carol]: "expression_false", [dave]: "eligible", [erin]: "unavailable" });
    expect(first!.offerTo).toEqual([dave]);
    expect(second!.candidates).toHaveLength(4);
    // Nothing matched: the default filter; no default either: nowhere.
    expect(s.engine.routeSample(configuration, { type: "other" }).filter).toBe("default");
    expect(s.engine.routeSample({ task_routing: { filters: [] } }, { type: "other" })).toMatchObject({
      filter: undefined,
      steps: [],
    });
    expect(() =>
      s.engine.routeSample({ task_routing: { filters: [{ expression: "type ==" }] } }, {}),
    ).toThrow(/filters\[0\]/);
    expect(s.engine.allTasks()).toHaveLength(before);
    expect(s.log).toEqual([]);
  });
});
