import twilio from "twilio";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { eventually, startServer } from "./support/server.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { supportDesk } from "./support/desk.ts";
import { localTwilio } from "./support/twilio-client.ts";

describe.each(dialects())("TaskRouter API on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const created = await switchboard.accounts.create({ friendlyName: "Routing" });
    account = { sid: created.sid, token: created.authToken };
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await db.drop();
  });

  it("routes a task to a skilled worker through the official SDK: reserve, accept, complete", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, ws, queue, workflow, alice } = await supportDesk(client);
    expect(workspace).toMatchObject({ friendlyName: "Support desk", defaultActivityName: "Offline" });
    expect((await ws.taskChannels.list()).map((c) => c.uniqueName)).toEqual(
      expect.arrayContaining(["default", "voice", "chat", "sms", "email"]),
    );
    expect(alice).toMatchObject({ activityName: "Available", available: true });

    const task = await ws.tasks.create({
      workflowSid: workflow.sid,
      attributes: JSON.stringify({ type: "support", customer: "Ada" }),
    });
    expect(task.sid).toMatch(/^WT[0-9a-f]{32}$/);
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    expect(reservation).toMatchObject({
      reservationStatus: "pending",
      workerSid: alice.sid,
      workerName: "alice",
    });
    expect(await ws.tasks(task.sid).fetch()).toMatchObject({
      assignmentStatus: "reserved",
      taskQueueSid: queue.sid,
      taskQueueFriendlyName: "Support",
      workflowFriendlyName: "Triage",
    });

    // Accepting can also move the worker, e.g. to a busy activity, in the same step.
    const busy = (await ws.activities.list()).find((a) => a.friendlyName === "Unavailable")!;
    const accepted = await ws
      .tasks(task.sid)
      .reservations(reservation!.sid)
      .update({ reservationStatus: "accepted", workerActivitySid: busy.sid });
    expect(accepted.reservationStatus).toBe("accepted");
    expect((await ws.workers(alice.sid).fetch()).activityName).toBe("Unavailable");
    expect((await ws.tasks(task.sid).fetch()).assignmentStatus).toBe("assigned");
    expect((await ws.workers(alice.sid).reservations.list()).map((r) => r.sid)).toEqual([reservation!.sid]);

    const done = await ws.tasks(task.sid).update({ assignmentStatus: "completed", reason: "resolved" });
    expect(done).toMatchObject({ assignmentStatus: "completed", reason: "resolved" });
    expect((await ws.tasks.list({ assignmentStatus: ["completed"] })).map((t) => t.sid)).toEqual([task.sid]);
    expect(
      (await ws.workers.list({ targetWorkersExpression: "skills HAS 'support'" })).map((w) => w.sid),
    ).toEqual([alice.sid]);
    expect(
      (await ws.taskQueues.list({ evaluateWorkerAttributes: '{"skills":["support"]}' })).map((q) => q.sid),
    ).toEqual([queue.sid]);

    // Each transition reached the event log, in order, with TaskRouter's parameters.
    const types = (await switchboard.events.list(account.sid, {}, { limit: 200 }))
      .filter((e) => e.data.WorkspaceSid === workspace.sid)
      .map((e) => e.eventType)
      .reverse();
    expect(types).toEqual(
      expect.arrayContaining([
        "task.created",
        "reservation.created",
        "reservation.accepted",
        "task.completed",
      ]),
    );
    expect(types.indexOf("reservation.created")).toBeLessThan(types.indexOf("reservation.accepted"));
  });

  it("reports statistics, events, the worker's view of reservations and the routing trace", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, ws, queue, workflow, alice } = await supportDesk(client);
    const bob = await ws.workers.create({
      friendlyName: "bob",
      attributes: JSON.stringify({ skills: ["support"] }),
    });
    const first = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
    const [offer] = await ws.workers(alice.sid).reservations.list();
    expect(await ws.workers(alice.sid).reservations(offer!.sid).fetch()).toMatchObject({
      taskSid: first.sid,
      reservationStatus: "pending",
    });
    const accepted = await ws
      .workers(alice.sid)
      .reservations(offer!.sid)
      .update({ reservationStatus: "accepted" });
    expect(accepted).toMatchObject({ reservationStatus: "accepted", workerSid: alice.sid });
    await expect(ws.workers(bob.sid).reservations(offer!.sid).fetch()).rejects.toMatchObject({ status: 404 });
    const second = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });

    // Real-time: one task assigned, one waiting; two workers, one of them available.
    const realtime = await ws.realTimeStatistics().fetch();
    expect(realtime).toMatchObject({
      tasksByStatus: { pending: 1, reserved: 0, assigned: 1, wrapping: 0 },
      totalTasks: 2,
      totalWorkers: 2,
      longestTaskWaitingSid: second.sid,
    });
    const queueNow = await ws.taskQueues(queue.sid).realTimeStatistics().fetch();
    expect(queueNow).toMatchObject({ totalEligibleWorkers: 2, totalAvailableWorkers: 1, totalTasks: 2 });
    const bulk = await ws.taskQueues.bulkRealTimeStatistics.create({ QueueSids: [queue.sid] });
    expect(bulk.taskQueueResponseCount).toBe(1);
    expect(bulk.taskQueueData[0]).toMatchObject({ task_queue_sid: queue.sid, total_tasks: 2 });

    // Cumulative over the default 15 minutes, for the workspace, the queue, the workflow and workers.
    const cumulative = await ws.cumulativeStatistics().fetch();
    expect(cumulative).toMatchObject({ tasksCreated: 2, reservationsCreated: 1, reservationsAccepted: 1 });
    const both = await ws.taskQueues(queue.sid).statistics().fetch({ splitByWaitTime: "5,60" });
    expect(both.cumulative).toMatchObject({ tasks_entered: 2, reservations_accepted: 1 });
    expect(both.cumulative.split_by_wait_time["60"].below.reservations_accepted).toBe(1);
    expect(both.realtime).toMatchObject({ total_tasks: 2 });
    const queues = await ws.taskQueues.statistics.list();
    expect(queues.map((q) => q.taskQueueSid)).toEqual([queue.sid]);
    expect(await ws.workflows(workflow.sid).cumulativeStatistics().fetch()).toMatchObject({
      tasksEntered: 2,
    });
    expect(await ws.workflows(workflow.sid).realTimeStatistics().fetch()).toMatchObject({ totalTasks: 2 });
    const aliceFigures = await ws.workers(alice.sid).statistics().fetch();
    expect(aliceFigures.cumulative).toMatchObject({ reservations_created: 1, reservations_accepted: 1 });
    const workers = await ws.workers.statistics().fetch();
    expect(workers.realtime).toMatchObject({ total_workers: 2 });
    expect(await ws.workers.cumulativeStatistics().fetch()).toMatchObject({ reservationsAccepted: 1 });
    await expect(
      ws.cumulativeStatistics().fetch({ startDate: new Date(Date.now() - 30 * 86_400_000) }),
    ).rejects.toMatchObject({ status: 400, code: 20001 });

    // Events of the workspace, filtered as TaskRouter filters them.
    const ofFirst = await ws.events.list({ taskSid: first.sid });
    expect(ofFirst.map((e) => e.eventType).reverse()).toEqual(
      expect.arrayContaining(["task.created", "reservation.created", "reservation.accepted"]),
    );
    const created = await ws.events.list({ eventType: "task.created" });
    expect(created.map((e) => e.resourceSid).sort()).toEqual([first.sid, second.sid].sort());
    const one = await ws.events(created[0]!.sid).fetch();
    expect(one).toMatchObject({ eventType: "task.created", workspaceSid: workspace.sid });
    expect(one.eventData).toMatchObject({ task_sid: one.resourceSid, workflow_sid: workflow.sid });

    // The trace says why the second task waits: alice is busy, bob is offline.
    const trace = await fetch(
      `${baseUrl}/switchboard/v1/Workspaces/${workspace.sid}/Tasks/${second.sid}/Routing`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString("base64")}`,
        },
      },
    ).then((r) => r.json() as Promise<{ candidates: Array<{ worker_name: string; verdict: string }> }>);
    expect(trace.candidates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ worker_name: "alice", verdict: "no_capacity" }),
        expect.objectContaining({ worker_name: "bob", verdict: "unavailable" }),
      ]),
    );
  });

  it("follows the Assignment Callback's instruction and delivers the workspace's Event Callback", async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const client = localTwilio(baseUrl, account.sid, account.token);
      const { workspace, ws, workflow, alice } = await supportDesk(client);
      // The primary URL fails; the fallback answers `accept`.
      receiver.behave = (request) =>
        request.url.includes("/primary")
          ? { status: 500 }
          : request.url.includes("/fallback")
            ? { status: 200, json: { instruction: "accept" } }
            : { status: 204 };
      await ws.update({
        eventCallbackUrl: `${receiver.url}events`,
        eventsFilter: "task.created,reservation.accepted",
      });
      await ws.workflows(workflow.sid).update({
        assignmentCallbackUrl: `${receiver.url}primary`,
        fallbackAssignmentCallbackUrl: `${receiver.url}fallback?key=1`,
      });
      const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
      const accepted = await eventually(
        async () => {
          const [r] = await ws.tasks(task.sid).reservations.list();
          return r?.reservationStatus === "accepted" ? r : undefined;
        },
        10_000,
        "the callback's accept",
      );
      expect(accepted.workerSid).toBe(alice.sid);
      const [primary, fallback] = receiver.received.filter((r) => !r.url.includes("/events"));
      expect(primary!.params).toMatchObject({
        TaskSid: task.sid,
        WorkerSid: alice.sid,
        ReservationSid: accepted.sid,
      });
      expect(JSON.parse(fallback!.params.TaskAttributes!)).toEqual({ type: "support" });
      for (const request of [primary!, fallback!])
        expect(
          twilio.validateRequest(
            account.token,
            request.headers["x-twilio-signature"] as string,
            request.url,
            request.params,
          ),
        ).toBe(true);

      // The Event Callback gets this workspace's events of the filtered types, through the outbox.
      const events = await eventually(
        () => {
          const got = receiver.received.filter((r) => r.url.includes("/events"));
          return got.length >= 2 ? got : undefined;
        },
        10_000,
        "two event callbacks",
      );
      expect(events.map((e) => e.params.EventType).sort()).toEqual(["reservation.accepted", "task.created"]);
      expect(events.every((e) => e.params.WorkspaceSid === workspace.sid)).toBe(true);

      // An empty answer leaves the decision for later: the reservation stays pending.
      receiver.behave = () => ({ status: 200 });
      await ws
        .workflows(workflow.sid)
        .update({ assignmentCallbackUrl: `${receiver.url}later`, fallbackAssignmentCallbackUrl: "" });
      const bob = await ws.workers.create({
        friendlyName: "bob",
        activitySid: (await ws.activities.list()).find((a) => a.friendlyName === "Available")!.sid,
        attributes: JSON.stringify({ skills: ["support"] }),
      });
      const second = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
      await eventually(() => (receiver.received.some((r) => r.url.includes("/later")) ? true : undefined));
      const [pending] = await ws.tasks(second.sid).reservations.list();
      expect(pending).toMatchObject({ workerSid: bob.sid, reservationStatus: "pending" });
    } finally {
      await receiver.stop();
    }
  });

  it("answers bad input with Twilio's errors and keeps accounts apart", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { ws, workspace } = await supportDesk(client);
    await expect(
      ws.workflows.create({
        friendlyName: "Broken",
        configuration: JSON.stringify({
          task_routing: {
            filters: [{ filter_friendly_name: "x", expression: "type ==", targets: [{ queue: "WQ1" }] }],
          },
        }),
      }),
    ).rejects.toMatchObject({ status: 400, code: 20001, message: expect.stringContaining("filters[0]") });
    await expect(ws.tasks("WT00000000000000000000000000000000").fetch()).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
    await expect(ws.workers.create({ friendlyName: "bob", attributes: "not json" })).rejects.toMatchObject({
      status: 400,
      code: 20001,
    });

    const other = await switchboard.accounts.create({ friendlyName: "Other" });
    const otherClient = localTwilio(baseUrl, other.sid, other.authToken);
    await expect(otherClient.taskrouter.v1.workspaces(workspace.sid).fetch()).rejects.toMatchObject({
      status: 404,
    });
    expect(await otherClient.taskrouter.v1.workspaces.list()).toEqual([]);
  });

  it("takes each command submitted the moment the previous one is acknowledged", async () => {
    // A regression guard: a submission racing the writer's idle check once waited forever.
    const { workspace, router } = await switchboard.routing.create(account.sid, {
      friendlyName: "Back to back",
    });
    for (let i = 0; i < 20; i++)
      await router.submit([
        {
          op: "createWorker",
          worker: { friendlyName: `w${i}`, activitySid: workspace.defaultActivitySid },
        },
      ]);
    expect(router.routing.allWorkers()).toHaveLength(20);
  });

  it("keeps every acknowledged change across a restart, and fires timers that came due", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, workflow, alice, offline } = await supportDesk(client, 2);
    const ws = client.taskrouter.v1.workspaces(workspace.sid);
    const task = await ws.tasks.create({
      workflowSid: workflow.sid,
      attributes: JSON.stringify({ type: "support" }),
    });
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    expect(reservation!.reservationStatus).toBe("pending");

    await switchboard.close();
    ({ switchboard, baseUrl } = await startServer(db));
    const again = localTwilio(baseUrl, account.sid, account.token).taskrouter.v1.workspaces(workspace.sid);
    expect((await again.tasks(task.sid).fetch()).assignmentStatus).toBe("reserved");
    expect((await again.tasks(task.sid).reservations(reservation!.sid).fetch()).reservationStatus).toBe(
      "pending",
    );

    // The 2-second reservation timeout, armed again from the log, fires: the worker goes to the
    // workspace's timeout activity (Offline) and the task waits again.
    const timedOut = await eventually(
      async () => {
        const r = await again.tasks(task.sid).reservations(reservation!.sid).fetch();
        return r.reservationStatus === "timeout" ? r : undefined;
      },
      10_000,
      "the reservation to time out",
    );
    expect(timedOut.reservationStatus).toBe("timeout");
    expect(await again.workers(alice.sid).fetch()).toMatchObject({
      activitySid: offline.sid,
      available: false,
    });
    expect((await again.tasks(task.sid).fetch()).assignmentStatus).toBe("pending");
  });
});
