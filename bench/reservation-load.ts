import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { until } from "./sockets.ts";

/**
 * The task-to-reservation benchmark's load, in a thread of its own so that generating it does not
 * take the server's event loop (a real agent's browser and a real integration are other processes):
 * POST /Tasks at a fixed rate, and the chosen workers' streams, with each task timed from its POST
 * to its reservation.created on a stream here (one clock). See api.bench.ts.
 */
export interface ReservationPlan {
  tasksUrl: string;
  authorization: string;
  workflowSid: string;
  streamUrls: string[];
  rate: number;
  seconds: number;
}

export interface ReservationResult {
  /** POST-to-stream times of every task whose reservation arrived, ms. */
  latencies: number[];
  sent: number;
}

async function main(plan: ReservationPlan): Promise<ReservationResult> {
  const sent = new Map<number, number>();
  const latencies: number[] = [];
  // Listen before the stream opens: its `ready` can come in the same packet as the handshake.
  const sockets = await Promise.all(
    plan.streamUrls.map(
      (url) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url);
          socket.once("error", reject);
          socket.on("message", (data: Buffer) => {
            const message = JSON.parse(data.toString()) as {
              type: string;
              event_type?: string;
              data?: Record<string, string>;
            };
            if (message.type === "ready") resolve(socket);
            if (message.event_type !== "reservation.created") return;
            const probe = (JSON.parse(message.data!.TaskAttributes!) as { probe?: number }).probe;
            const at = probe === undefined ? undefined : sent.get(probe);
            if (at !== undefined) latencies.push(performance.now() - at);
          });
        }),
    ),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const url = new URL(plan.tasksUrl);
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: "POST",
          agent,
          headers: {
            authorization: plan.authorization,
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
          },
        },
        (response) => {
          response.resume();
          response.on("end", resolve);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  const total = plan.rate * plan.seconds;
  const requests: Array<Promise<void>> = [];
  const started = performance.now();
  for (let probe = 0; probe < total; probe++) {
    // Open loop: each task leaves at its slot whatever happened to the ones before.
    const wait = started + (probe * 1000) / plan.rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = new URLSearchParams({
      WorkflowSid: plan.workflowSid,
      Attributes: JSON.stringify({ probe }),
    }).toString();
    sent.set(probe, performance.now());
    requests.push(post(body));
  }
  await Promise.all(requests);
  await until(() => latencies.length >= total, 5_000, "the reservations in flight").catch(() => undefined);
  for (const socket of sockets) socket.terminate();
  agent.destroy();
  return { latencies, sent: total };
}

parentPort!.postMessage(await main((workerData as { plan: ReservationPlan }).plan));
