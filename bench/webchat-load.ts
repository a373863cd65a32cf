import { parentPort, workerData } from "node:worker_threads";
import type WebSocket from "ws";
import { openSocket, until } from "./sockets.ts";

/**
 * The web chat benchmark's load, in a thread of its own so that generating it does not take the
 * server's event loop: visitors' sockets send, agents' streams receive, and each message is timed
 * from one to the other here (one clock). Posts `{type:"ready"}` once every conversation is offered
 * to an agent; then, for each phase, waits for any message, offers the phase's load, lets what was
 * sent arrive, and posts `{type:"phase"}` with its result.
 * See webchat.bench.ts.
 */
export interface LoadPlan {
  visitorUrls: string[];
  agentUrls: string[];
  phases: Array<{
    /** Messages per second offered by all visitors together. */
    rate: number;
    seconds: number;
  }>;
}

export interface PhaseResult {
  sent: number;
  /** Messages delivered to an agent during the offered window. */
  deliveredInWindow: number;
  windowSeconds: number;
  /** Send-to-agent times of every message sent, ms. */
  latencies: number[];
}

async function main(plan: LoadPlan): Promise<void> {
  let latencies: number[] = [];
  let measuring = false;
  let offered = 0;
  const sockets: WebSocket[] = [];
  for (const url of plan.agentUrls) {
    const socket = await openSocket(url);
    sockets.push(socket);
    socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { event_type?: string; data?: Record<string, string> };
      if (frame.event_type === "reservation.created") offered++;
      if (frame.event_type !== "conversation.message.added" || !measuring) return;
      const sentAt = Number(frame.data!.Body);
      if (Number.isFinite(sentAt)) latencies.push(performance.now() - sentAt);
    });
  }
  // Every visitor writes once, which starts its conversation and offers it to an agent.
  const visitors: WebSocket[] = [];
  for (let i = 0; i < plan.visitorUrls.length; i += 50) {
    const opened = await Promise.all(
      plan.visitorUrls.slice(i, i + 50).map(async (url) => {
        const socket = await openSocket(url);
        await exchange(socket, { type: "message", body: "hello", client_id: "first" }, "ack");
        return socket;
      }),
    );
    visitors.push(...opened);
  }
  sockets.push(...visitors);
  await until(() => offered >= visitors.length, 60_000, "every conversation offered to an agent");
  parentPort!.postMessage({ type: "ready" });

  let sent = 0; // over all phases: each message's client_id is new
  for (const phase of plan.phases) {
    // The server finishes what came before (starting the conversations, the last phase) first.
    await new Promise((resolve) => parentPort!.once("message", resolve));
    latencies = [];
    measuring = true;
    // Open loop at the phase's rate: every 10 ms, as many messages as the time elapsed calls for,
    // from the visitors in turn (each visitor writes every VISITORS / rate seconds).
    const first = sent;
    const started = performance.now();
    const ends = started + phase.seconds * 1000;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        const due = first + Math.floor(((Math.min(now, ends) - started) / 1000) * phase.rate);
        for (; sent < due; sent++)
          visitors[sent % visitors.length]!.send(
            JSON.stringify({ type: "message", body: String(performance.now()), client_id: `m${sent}` }),
          );
        if (now >= ends) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
    });
    const windowSeconds = (performance.now() - started) / 1000;
    const deliveredInWindow = latencies.length;
    // Let what was sent arrive, so the latency tail includes the slowest.
    await until(() => latencies.length >= sent - first, 60_000, "the messages in flight").catch(
      () => undefined,
    );
    measuring = false;
    const result: PhaseResult = { sent: sent - first, deliveredInWindow, windowSeconds, latencies };
    parentPort!.postMessage({ type: "phase", result });
  }
  for (const socket of sockets) socket.terminate();
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

await main((workerData as { plan: LoadPlan }).plan);
