import WebSocket from "ws";
import type { Switchboard } from "../packages/server/src/app.ts";
import { emit, note } from "./figures.ts";
import { databases, openServer, type BenchDatabase } from "./support.ts";

/**
 * Web chat end to end, per database: 1,000 visitors, each in a conversation offered to one of 100
 * agents (chat capacity 10), send messages at a fixed total rate for BENCH_SECONDS; each message is
 * timed from the visitor's socket sending it to the agent's real-time stream delivering it (stored
 * and committed in between). Client and server share this process, as they share the machine.
 * - webchat.messages_per_s: messages delivered to agents per second while offered at RATE;
 * - webchat.p99_ms: their 99th-percentile send-to-agent time.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const VISITORS = 1_000;
const AGENTS = 100;
const RATE = Number(process.env.BENCH_WEBCHAT_RATE ?? 5_000);

export async function run(): Promise<void> {
  for (const db of await databases()) {
    try {
      await webchatFigures(db);
    } finally {
      await db.drop();
    }
  }
}

async function webchatFigures(db: BenchDatabase): Promise<void> {
  const switchboard = await openServer(db, {
    SWITCHBOARD_WEBCHAT_SESSIONS_PER_MINUTE: "0",
    SWITCHBOARD_WEBCHAT_MESSAGES_PER_10S: "0",
  });
  const baseUrl = await switchboard.listen();
  const sockets: WebSocket[] = [];
  try {
    const api = await client(switchboard, baseUrl);
    const { workspace, agents } = await contactCenter(api);

    // Agents watch their streams; each visitor's conversation is offered to one of them.
    const latencies: number[] = [];
    let measuring = false;
    let offered = 0;
    for (const agent of agents) {
      const grant = await api.post(`/switchboard/v1/Workspaces/${workspace}/StreamTokens`, {
        WorkerSid: agent,
      });
      const socket = await open(grant.stream_url as string);
      sockets.push(socket);
      socket.on("message", (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { event_type?: string; data?: Record<string, string> };
        if (frame.event_type === "reservation.created") offered++;
        if (frame.event_type !== "conversation.message.added" || !measuring) return;
        const sentAt = Number(frame.data!.Body);
        if (Number.isFinite(sentAt)) latencies.push(performance.now() - sentAt);
      });
    }

    const visitors: WebSocket[] = [];
    for (let i = 0; i < VISITORS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, VISITORS - i) }, async (_, k) => {
          const session = await api.post(
            "/switchboard/v1/WebChat/Sessions",
            { AccountSid: api.accountSid, Address: "bench-widget", FriendlyName: `visitor ${i + k}` },
            false,
          );
          const socket = await open(session.socket_url as string);
          await exchange(socket, { type: "message", body: "hello", client_id: "first" }, "ack");
          visitors.push(socket);
        }),
      );
    }
    sockets.push(...visitors);
    await until(() => offered >= VISITORS, 60_000, "every conversation offered to an agent");
    note(`webchat ${db.name}: ${VISITORS} conversations with ${AGENTS} agents`);

    // Open loop: every visitor sends on its own timer, RATE messages a second in all.
    measuring = true;
    const interval = (VISITORS / RATE) * 1000;
    let sent = 0;
    let serial = 0;
    const timers = visitors.map((socket, i) => {
      const start = setTimeout(
        () => {
          const timer = setInterval(() => {
            sent++;
            socket.send(
              JSON.stringify({ type: "message", body: String(performance.now()), client_id: `m${serial++}` }),
            );
          }, interval);
          timers[i] = timer;
        },
        (i / VISITORS) * interval,
      );
      return start;
    });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    for (const timer of timers) clearInterval(timer);
    const window = (performance.now() - started) / 1000;
    const deliveredInWindow = latencies.length;
    // Let what was sent arrive, so the latency tail includes the slowest.
    await until(() => latencies.length >= sent, 30_000, "the messages in flight").catch(() => undefined);
    measuring = false;

    latencies.sort((a, b) => a - b);
    const p = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
    emit({
      name: "webchat.messages_per_s",
      value: Math.round(deliveredInWindow / window),
      unit: "1/s",
      goal: ">= 5000",
      params: {
        db: db.name,
        conversations: VISITORS,
        agents: AGENTS,
        offered_per_s: RATE,
        sent,
        delivered: latencies.length,
      },
    });
    emit({
      name: "webchat.p99_ms",
      value: Number(p(0.99).toFixed(2)),
      unit: "ms",
      goal: "<= 50",
      params: { db: db.name, p50_ms: Number(p(0.5).toFixed(2)), offered_per_s: RATE },
    });
  } finally {
    for (const socket of sockets) socket.terminate();
    await switchboard.close();
  }
}

interface Api {
  accountSid: string;
  post(
    path: string,
    params: Record<string, string>,
    authenticated?: boolean,
  ): Promise<Record<string, unknown>>;
  get(path: string): Promise<Record<string, unknown>>;
}

async function client(switchboard: Switchboard, baseUrl: string): Promise<Api> {
  const account = await switchboard.accounts.create({ friendlyName: "Web chat bench" });
  const auth = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString("base64")}`;
  const call = async (
    method: string,
    path: string,
    params?: Record<string, string>,
    authenticated = true,
  ) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(authenticated && { Authorization: auth }),
        ...(params && { "Content-Type": "application/x-www-form-urlencoded" }),
      },
      ...(params && { body: new URLSearchParams(params).toString() }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  return {
    accountSid: account.sid,
    post: (path, params, authenticated) => call("POST", path, params, authenticated),
    get: (path) => call("GET", path),
  };
}

/** A workspace whose one workflow sends every chat to one queue of AGENTS agents with chat capacity 10. */
async function contactCenter(api: Api): Promise<{ workspace: string; agents: string[] }> {
  const workspace = (await api.post("/v1/Workspaces", { FriendlyName: "Chat desk" })).sid as string;
  const base = `/v1/Workspaces/${workspace}`;
  const activities = (await api.get(`${base}/Activities`)).activities as Array<{
    sid: string;
    friendly_name: string;
  }>;
  const available = activities.find((a) => a.friendly_name === "Available")!.sid;
  const channels = (await api.get(`${base}/TaskChannels`)).channels as Array<{
    sid: string;
    unique_name: string;
  }>;
  const chat = channels.find((c) => c.unique_name === "chat")!.sid;
  const queue = (await api.post(`${base}/TaskQueues`, { FriendlyName: "Chat", TargetWorkers: "1==1" }))
    .sid as string;
  const workflow = (
    await api.post(`${base}/Workflows`, {
      FriendlyName: "Chat",
      Configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue } } }),
    })
  ).sid as string;
  const agents: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const agent = (await api.post(`${base}/Workers`, { FriendlyName: `agent ${i}`, ActivitySid: available }))
      .sid as string;
    await api.post(`${base}/Workers/${agent}/Channels/${chat}`, { Capacity: "10" });
    agents.push(agent);
  }
  await api.post("/v1/Configuration/Addresses", {
    Type: "chat",
    Address: "bench-widget",
    "AutoCreation.Enabled": "true",
    "AutoCreation.WorkspaceSid": workspace,
    "AutoCreation.WorkflowSid": workflow,
  });
  return { workspace, agents };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends a frame and waits for the first frame of type `reply`. */
function exchange(socket: WebSocket, frame: object, reply: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (data: Buffer) => {
      if ((JSON.parse(data.toString()) as { type: string }).type !== reply) return;
      socket.off("message", listener);
      resolve();
    };
    socket.on("message", listener);
    socket.send(JSON.stringify(frame));
  });
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
