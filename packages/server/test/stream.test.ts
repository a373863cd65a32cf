import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

interface Message {
  type: string;
  seq?: number;
  event_type?: string;
  data?: Record<string, string>;
  position?: number;
  task_queues?: Array<{ friendly_name: string; total_tasks: number }>;
}

/** A stream client that records what it receives and how the socket ended. */
class StreamClient {
  readonly messages: Message[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => this.messages.push(JSON.parse(data.toString()) as Message));
    socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string): Promise<StreamClient> {
    const client = new StreamClient(new WebSocket(url));
    await eventually(() => (client.ready || client.closed ? true : undefined), 10_000, "the stream to open");
    return client;
  }

  get ready(): boolean {
    return this.messages.some((m) => m.type === "ready");
  }

  events(): Message[] {
    return this.messages.filter((m) => m.type === "event");
  }

  lastSeq(): number {
    return this.events().at(-1)?.seq ?? this.messages.find((m) => m.type === "ready")!.position!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close();
    await eventually(() => (this.closed ? true : undefined));
  }
}

describe.each(dialects())("real-time stream on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let client: ReturnType<typeof localTwilio>;
  let auth: string;
  const clients: StreamClient[] = [];

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const account = await switchboard.accounts.create({ friendlyName: "Stream" });
    client = localTwilio(baseUrl, account.sid, account.authToken);
    auth = "Basic " + Buffer.from(`${account.sid}:${account.authToken}`).toString("base64");
  });

  afterEach(async () => {
    if (unavailable) return;
    for (const c of clients.splice(0)) await c.close();
    await switchboard.close();
    await db.drop();
  });

  async function token(workspaceSid: string, body: Record<string, string>) {
    const response = await fetch(`${baseUrl}/switchboard/v1/Workspaces/${workspaceSid}/StreamTokens`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { stream_url: string; token: string },
    };
  }

  async function connect(url: string): Promise<StreamClient> {
    const c = await StreamClient.open(url);
    clients.push(c);
    return c;
  }

  async function desk() {
    const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Desk" });
    const ws = client.taskrouter.v1.workspaces(workspace.sid);
    const available = (await ws.activities.list()).find((a) => a.friendlyName === "Available")!;
    const queue = await ws.taskQueues.create({ friendlyName: "Support", targetWorkers: "1==1" });
    const workflow = await ws.workflows.create({
      friendlyName: "All",
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
    });
    const alice = await ws.workers.create({ friendlyName: "alice", activitySid: available.sid });
    const bob = await ws.workers.create({ friendlyName: "bob" });
    return { workspace, ws, available, workflow, alice, bob };
  }

  it("gives an agent its own reservations and a supervisor the workspace's events and statistics", async () => {
    const { workspace, ws, workflow, alice, bob } = await desk();
    const agent = await connect((await token(workspace.sid, { WorkerSid: alice.sid })).body.stream_url);
    const other = await connect((await token(workspace.sid, { WorkerSid: bob.sid })).body.stream_url);
    const supervisor = await connect((await token(workspace.sid, { Role: "supervisor" })).body.stream_url);
    expect(supervisor.messages.some((m) => m.type === "statistics")).toBe(true);

    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"customer":"Ada"}' });
    const offer = await eventually(
      () => agent.events().find((m) => m.event_type === "reservation.created"),
      5_000,
      "alice's reservation on her stream",
    );
    expect(offer.data).toMatchObject({ TaskSid: task.sid, WorkerSid: alice.sid });
    await ws.tasks(task.sid).update({ attributes: '{"customer":"Ada","vip":true}' });
    await eventually(() => agent.events().find((m) => m.event_type === "task.updated"), 5_000, "task update");

    await eventually(
      () => supervisor.events().find((m) => m.event_type === "task.created"),
      5_000,
      "task.created for the supervisor",
    );
    const stats = await eventually(
      () =>
        supervisor.messages
          .filter((m) => m.type === "statistics")
          .find((m) => m.task_queues?.some((q) => q.friendly_name === "Support" && q.total_tasks === 1)),
      5_000,
      "the queue's statistics with the task",
    );
    expect(stats.task_queues).toHaveLength(1);
    // Bob saw none of it: not his reservation, not his task.
    expect(other.events()).toEqual([]);
  });

  it("streams each live agent exactly what the log holds for it, in order, among other agents' work", async () => {
    const { workspace, ws, workflow, available, alice, bob } = await desk();
    await ws.workers(bob.sid).update({ activitySid: available.sid });
    const streams = new Map<string, StreamClient>();
    for (const worker of [alice, bob])
      streams.set(
        worker.sid,
        await connect((await token(workspace.sid, { WorkerSid: worker.sid })).body.stream_url),
      );
    const supervisor = await connect((await token(workspace.sid, { Role: "supervisor" })).body.stream_url);
    const start = supervisor.lastSeq();

    // Four tasks for two agents: each is offered, accepted, updated and completed, so every agent
    // gets its own reservations and the task events of the tasks it was offered, and no others.
    const tasks = [];
    for (let i = 0; i < 4; i++)
      tasks.push(await ws.tasks.create({ workflowSid: workflow.sid, attributes: `{"n":${i}}` }));
    for (const task of tasks) {
      const offer = await eventually(() =>
        [...streams.values()]
          .flatMap((s) => s.events())
          .find((m) => m.event_type === "reservation.created" && m.data!.TaskSid === task.sid),
      );
      await ws
        .tasks(task.sid)
        .reservations(offer.data!.ReservationSid!)
        .update({ reservationStatus: "accepted" });
      await ws.tasks(task.sid).update({ attributes: `{"n":"${task.sid}","updated":true}` });
      await ws.tasks(task.sid).update({ assignmentStatus: "completed", reason: "done" });
    }
    const last = await eventually(() => {
      const log = supervisor.events();
      return log.filter((m) => m.event_type === "task.completed").length === tasks.length ? log : undefined;
    });
    const end = last.at(-1)!.seq!;
    const log = (
      await switchboard.events.list(workspace.accountSid, { scopeSid: workspace.sid }, { limit: 500 })
    )
      .filter((e) => e.seq > start && e.seq <= end)
      .reverse();
    for (const [workerSid, stream] of streams) {
      // What the worker may see: events naming it, and the events of each task it was offered from
      // the offer on.
      const offered = new Set<string>();
      const expected: number[] = [];
      for (const e of log) {
        if (e.data.WorkerSid === workerSid) {
          expected.push(e.seq);
          if (e.eventType === "reservation.created") offered.add(e.data.TaskSid!);
        } else if (e.resourceType === "task" && offered.has(e.data.TaskSid!)) expected.push(e.seq);
      }
      expect(offered.size).toBeGreaterThan(0);
      const received = await eventually(() => {
        const seqs = stream
          .events()
          .map((m) => m.seq!)
          .filter((seq) => seq > start && seq <= end);
        return seqs.length >= expected.length ? seqs : undefined;
      });
      expect(received).toEqual(expected);
    }
  });

  it("resumes a reconnecting agent from its last event, without gaps or repeats", async () => {
    const { workspace, ws, workflow, alice } = await desk();
    const url = (await token(workspace.sid, { WorkerSid: alice.sid })).body.stream_url;
    const first = await connect(url);
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: "{}" });
    const offer = await eventually(() => first.events().find((m) => m.event_type === "reservation.created"));
    const lastSeen = first.lastSeq();
    await first.close();

    // While the agent is away: the reservation is accepted and the task completed.
    await ws
      .tasks(task.sid)
      .reservations(offer.data!.ReservationSid!)
      .update({ reservationStatus: "accepted" });
    await ws.tasks(task.sid).update({ assignmentStatus: "completed", reason: "done" });

    const again = await connect(`${url}&after=${lastSeen}`);
    const missed = await eventually(() => {
      const types = again.events().map((m) => m.event_type);
      return types.includes("task.completed") ? again.events() : undefined;
    });
    const seqs = missed.map((m) => m.seq!);
    expect(seqs[0]).toBeGreaterThan(lastSeen);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(missed.map((m) => m.event_type)).toEqual(
      expect.arrayContaining(["reservation.accepted", "task.completed"]),
    );
    // Everything the log holds for alice after that point, and nothing else.
    const log = (
      await switchboard.events.list(workspace.accountSid, { scopeSid: workspace.sid }, { limit: 500 })
    )
      .filter((e) => e.seq > lastSeen && (e.data.WorkerSid === alice.sid || e.data.TaskSid === task.sid))
      .filter((e) => e.data.WorkerSid === alice.sid || e.resourceType === "task")
      .map((e) => e.seq)
      .reverse();
    expect(seqs).toEqual(log);
  });

  it("refuses bad, foreign and expired tokens", async () => {
    const { workspace, alice } = await desk();
    const wsUrl = baseUrl.replace(/^http/, "ws") + "/switchboard/v1/Stream";
    const forged = await connect(`${wsUrl}?token=not-a-token`);
    await eventually(() => forged.closed);
    expect(forged.closed).toMatchObject({ code: 4001, reason: "invalid token" });

    const other = await switchboard.accounts.create({ friendlyName: "Other" });
    const foreign = await fetch(`${baseUrl}/switchboard/v1/Workspaces/${workspace.sid}/StreamTokens`, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${other.sid}:${other.authToken}`).toString("base64"),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ WorkerSid: alice.sid }),
    });
    expect(foreign.status).toBe(404);
    expect((await token(workspace.sid, {})).status).toBe(400);
    expect((await token(workspace.sid, { WorkerSid: "WK00000000000000000000000000000000" })).status).toBe(
      404,
    );

    // A token whose time is up is refused with the code that tells the client to fetch a new one.
    const { token: valid } = (await token(workspace.sid, { WorkerSid: alice.sid, Ttl: "60" })).body;
    const [header, payload, signature] = valid.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as { exp: number };
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString("base64url")}.${signature}`;
    const altered = await connect(`${wsUrl}?token=${tampered}`);
    await eventually(() => altered.closed);
    expect(altered.closed!.code).toBe(4001);
  });
});
