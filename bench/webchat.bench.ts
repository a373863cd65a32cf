import { Worker } from "node:worker_threads";
import type { Switchboard } from "../packages/server/src/app.ts";
import { emit, note } from "./figures.ts";
import { databases, openServer, settle, type BenchDatabase } from "./support.ts";
import type { LoadPlan, PhaseResult } from "./webchat-load.ts";

/**
 * Web chat end to end, per database: 1,000 visitors, each in a conversation offered to one of 100
 * agents (chat capacity 10), send messages at a fixed total rate for BENCH_SECONDS; each message is
 * timed from the visitor's socket sending it to the agent's real-time stream delivering it (stored
 * and committed in between). The sockets live in a worker thread (webchat-load.ts), so the load
 * shares the machine with the server but not its event loop. Each visitor's first message starts its
 * conversation; a window opens once every conversation is offered to an agent and the event-log
 * consumers have finished with what came before (as the api figures let them settle between loads).
 * - webchat.p99_ms: the 99th-percentile send-to-agent time with RATE messages a second offered;
 * - webchat.messages_per_s: messages delivered to agents per second in a second window, with more
 *   offered than the goal (CAPACITY_RATE). Offered only the goal, a window can never show it met:
 *   what is delivered in a window is at most what was sent in it, and the window ends after the last
 *   send.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const VISITORS = 1_000;
const AGENTS = 100;
const RATE = Number(process.env.BENCH_WEBCHAT_RATE ?? 5_000);
const CAPACITY_RATE = Math.round(RATE * 1.5);

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
  try {
    const api = await client(switchboard, baseUrl);
    const { workspace, agents } = await contactCenter(api);
    const agentUrls: string[] = [];
    for (const agent of agents)
      agentUrls.push(
        (await api.post(`/switchboard/v1/Workspaces/${workspace}/StreamTokens`, { WorkerSid: agent }))
          .stream_url as string,
      );
    const visitorUrls: string[] = [];
    for (let i = 0; i < VISITORS; i++)
      visitorUrls.push(
        (
          await api.post(
            "/switchboard/v1/WebChat/Sessions",
            { AccountSid: api.accountSid, Address: "bench-widget", FriendlyName: `visitor ${i}` },
            false,
          )
        ).socket_url as string,
      );
    const plan: LoadPlan = {
      visitorUrls,
      agentUrls,
      phases: [
        { rate: RATE, seconds: SECONDS },
        { rate: CAPACITY_RATE, seconds: SECONDS },
      ],
    };
    const [latency, capacity] = await new Promise<PhaseResult[]>((resolve, reject) => {
      const results: PhaseResult[] = [];
      const worker = new Worker(new URL("./ts-worker.mjs", import.meta.url), {
        workerData: { module: "./webchat-load.ts", plan },
      });
      const next = () => settle(switchboard).then(() => worker.postMessage("go"), reject);
      worker.on("message", (message: { type: "ready" } | { type: "phase"; result: PhaseResult }) => {
        if (message.type === "ready") return void next();
        results.push(message.result);
        if (results.length === plan.phases.length) resolve(results);
        else void next();
      });
      worker.once("error", reject);
    });
    note(
      `webchat ${db.name}: ${VISITORS} conversations with ${AGENTS} agents, ` +
        `${latency!.sent} messages sent at ${RATE}/s, ${capacity!.sent} at ${CAPACITY_RATE}/s`,
    );

    emit({
      name: "webchat.messages_per_s",
      value: Math.round(capacity!.deliveredInWindow / capacity!.windowSeconds),
      unit: "1/s",
      goal: ">= 5000",
      params: {
        db: db.name,
        conversations: VISITORS,
        agents: AGENTS,
        offered_per_s: CAPACITY_RATE,
        sent: capacity!.sent,
        delivered: capacity!.latencies.length,
      },
    });
    const latencies = latency!.latencies.sort((a, b) => a - b);
    const p = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
    emit({
      name: "webchat.p99_ms",
      value: Number(p(0.99).toFixed(2)),
      unit: "ms",
      goal: "<= 50",
      params: {
        db: db.name,
        p50_ms: Number(p(0.5).toFixed(2)),
        offered_per_s: RATE,
        sent: latency!.sent,
        delivered: latencies.length,
      },
    });
  } finally {
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
