import { afterEach, describe, expect, it } from "vitest";
import { dialects } from "./support/databases.ts";
import { apiCalls } from "./support/api.ts";
import { deflectionFlow } from "./support/flows.ts";
import { ServerProcess, cliAccount, serverEnv } from "./support/process.ts";
import { eventually } from "./support/server.ts";
import { SmsProvider } from "./support/sms-provider.ts";
import { supportDesk } from "./support/desk.ts";
import { localTwilio } from "./support/twilio-client.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * kill -9 in the middle of routing load: tasks arriving from several clients at once while agents
 * accept and complete what they are offered. Whatever the server acknowledged before it died must
 * be there after the restart, and no task may have been assigned twice.
 */
describe.each(dialects())("routing across kill -9 on $dialect", ({ unavailable, create }) => {
  it("keeps every acknowledged task, acceptance and completion, and assigns no task twice", async (context) => {
    if (unavailable) return context.skip();
    // Dropped last, after the servers are killed: a live server's transactions would deadlock the drop.
    const db = await create();
    cleanups.push(() => db.drop());
    const env = serverEnv(db);
    const account = await cliAccount(env);
    const first = await ServerProcess.start(env);
    cleanups.push(() => first.kill("SIGKILL"));
    const client = localTwilio(first.baseUrl, account.sid, account.auth_token);
    const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Under load" });
    const ws = client.taskrouter.v1.workspaces(workspace.sid);
    const available = (await ws.activities.list()).find((a) => a.friendlyName === "Available")!;
    const queue = await ws.taskQueues.create({ friendlyName: "All", targetWorkers: "1==1" });
    const workflow = await ws.workflows.create({
      friendlyName: "All",
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
    });
    const workers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ws.workers.create({ friendlyName: `agent${i}`, activitySid: available.sid }),
      ),
    );

    const created = new Set<string>();
    const accepted = new Map<string, string>(); // task → reservation
    const completed = new Set<string>();
    let alive = true;
    const swallow = () => undefined; // a request cut off by the crash was never acknowledged
    const arrivals = Array.from({ length: 6 }, async () => {
      while (alive) {
        const task = await ws.tasks
          .create({ workflowSid: workflow.sid, attributes: '{"n":1}' })
          .catch(swallow);
        if (task) created.add(task.sid);
      }
    });
    const agents = workers.map(async (worker) => {
      while (alive) {
        const reservations = await ws
          .workers(worker.sid)
          .reservations.list({ reservationStatus: "pending" })
          .catch(swallow);
        for (const r of reservations ?? []) {
          const done = await ws
            .workers(worker.sid)
            .reservations(r.sid)
            .update({ reservationStatus: "accepted" })
            .catch(swallow);
          if (done?.reservationStatus !== "accepted") continue;
          accepted.set(r.taskSid, r.sid);
          const finished = await ws
            .tasks(r.taskSid)
            .update({ assignmentStatus: "completed", reason: "ok" })
            .catch(swallow);
          if (finished?.assignmentStatus === "completed") completed.add(r.taskSid);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await first.kill("SIGKILL");
    alive = false;
    await Promise.all([...arrivals, ...agents]);
    expect(created.size).toBeGreaterThan(20);
    expect(completed.size).toBeGreaterThan(5);

    const second = await ServerProcess.start(env);
    cleanups.push(() => second.kill("SIGKILL"));
    const again = localTwilio(second.baseUrl, account.sid, account.auth_token).taskrouter.v1.workspaces(
      workspace.sid,
    );
    const tasks = new Map((await again.tasks.list({ pageSize: 1000 })).map((t) => [t.sid, t]));
    for (const sid of created) expect(tasks.has(sid), `task ${sid} was acknowledged`).toBe(true);
    for (const [taskSid, reservationSid] of accepted) {
      expect(["assigned", "wrapping", "completed"]).toContain(tasks.get(taskSid)!.assignmentStatus);
      expect(["accepted", "completed", "wrapping"]).toContain(
        (await again.tasks(taskSid).reservations(reservationSid).fetch()).reservationStatus,
      );
    }
    for (const sid of completed) expect(tasks.get(sid)!.assignmentStatus).toBe("completed");

    // No task was accepted twice, across both lives of the server.
    const acceptances = new Map<string, number>();
    for (const event of await again.events.list({ eventType: "reservation.accepted", pageSize: 1000 }))
      acceptances.set(event.eventData.task_sid, (acceptances.get(event.eventData.task_sid) ?? 0) + 1);
    expect([...acceptances.values()].every((n) => n === 1)).toBe(true);
    expect(acceptances.size).toBeGreaterThanOrEqual(accepted.size);
    // And no agent holds more than its capacity.
    for (const worker of workers) {
      const [channel] = await again
        .workers(worker.sid)
        .workerChannels.list({ pageSize: 50 })
        .then((list) => list.filter((c) => c.taskChannelUniqueName === "default"));
      expect(channel!.assignedTasks).toBeLessThanOrEqual(channel!.configuredCapacity);
    }
  });
});

/**
 * kill -9 while a flow waits for a texted answer: the execution, its wait and the conversation it
 * texted through are all on disk, so the answer after the restart moves it on to an agent.
 */
describe.each(dialects())("a flow across kill -9 on $dialect", ({ unavailable, create }) => {
  it("resumes an execution waiting in send-and-wait-for-reply when the contact answers after the restart", async (context) => {
    if (unavailable) return context.skip();
    // Dropped last, after the servers are killed: a live server's transactions would deadlock the drop.
    const db = await create();
    cleanups.push(() => db.drop());
    const env = serverEnv(db);
    const account = await cliAccount(env);
    const provider = await new SmsProvider().start();
    cleanups.push(() => provider.stop());
    const first = await ServerProcess.start(env);
    cleanups.push(() => first.kill("SIGKILL"));
    let baseUrl = first.baseUrl;
    const { post } = apiCalls(
      () => baseUrl,
      () => ({ sid: account.sid, token: account.auth_token }),
    );
    const connected = await post(
      "/switchboard/v1/Messaging/Providers",
      provider.resourceParams("+15550001111"),
    );
    const inboundPath = new URL(connected.body.inbound_url as string).pathname;
    const client = localTwilio(baseUrl, account.sid, account.auth_token);
    const { workspace, workflow } = await supportDesk(client, 120, "deflectedFrom == 'ivr'");
    const flow = await client.studio.v2.flows.create({
      friendlyName: "IVR deflection",
      status: "published",
      definition: deflectionFlow(workflow.sid),
    });
    const execution = await client.studio.v2.flows(flow.sid).executions.create({
      to: "+15557654321",
      from: "+15550001111",
    });
    await eventually(() => provider.submitted.at(0), 10_000, "the text to the caller");
    await first.kill("SIGKILL");

    const second = await ServerProcess.start(env);
    cleanups.push(() => second.kill("SIGKILL"));
    baseUrl = second.baseUrl;
    await provider.inbound(baseUrl + inboundPath, "+15557654321", "+15550001111", "Answered after the crash");
    const again = localTwilio(baseUrl, account.sid, account.auth_token);
    const ws = again.taskrouter.v1.workspaces(workspace.sid);
    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the task");
    expect(JSON.parse(task.attributes)).toMatchObject({
      reason: "Answered after the crash",
      deflectedFrom: "ivr",
    });
    // The task shows in the routing engine a moment before the commit that also ends the execution.
    await eventually(async () => {
      const fetched = await again.studio.v2.flows(flow.sid).executions(execution.sid).fetch();
      return fetched.status === "ended" ? true : undefined;
    });
    // The text went out once: the restart did not send it again.
    expect(provider.submitted).toHaveLength(1);
  });
});
