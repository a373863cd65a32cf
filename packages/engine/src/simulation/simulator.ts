import type { Attributes } from "../expressions/index.ts";
import type { RoutingEvent } from "../routing/events.ts";
import type { WorkspaceSettings } from "../routing/model.ts";
import { Scenario } from "../routing/scenario.ts";
import { IndexedHeap } from "../routing/heap.ts";
import { Random, sample, type Distribution } from "./random.ts";

/**
 * A discrete-event simulation of a contact center that drives the real routing engine on a virtual
 * clock. Contacts arrive as Poisson streams, agents answer after a ring delay, handle for a sampled
 * time and complete; callers abandon when their patience runs out; agents log in and out by shift.
 * Because the engine is the production one, a workflow change can be tried on simulated traffic
 * before it is deployed.
 */
export interface SimulationConfig {
  seed: number;
  /** Arrivals stop after this many simulated seconds; contacts already in the system finish. */
  durationSeconds: number;
  queues: Array<{
    name: string;
    targetWorkers: string;
    taskOrder?: "FIFO" | "LIFO";
    maxReservedWorkers?: number;
  }>;
  /** A workflow `task_routing` document whose `queue` fields name queues by `name`. */
  workflow: { filters?: unknown[]; default_filter?: { queue: string } };
  streams: Array<{
    name: string;
    /** Contacts per second. */
    arrivalRate: number;
    attributes: Attributes;
    channel?: string;
    priority?: number;
    handleTime: Distribution;
    /** How long a caller waits before hanging up; none means forever. */
    patience?: Distribution;
  }>;
  agents: Array<{
    name: string;
    attributes?: Attributes;
    /** Replicas of this agent ("name-1", "name-2", ...). */
    count?: number;
    capacity?: Record<string, number>;
    /** Seconds from the start when the agent is logged in; always, when absent. */
    shifts?: Array<{ start: number; end: number }>;
  }>;
  /** Seconds an agent takes to accept an offered task (default 0). */
  answerDelay?: Distribution;
  /** Service-level threshold in seconds (default 20). */
  serviceLevelSeconds?: number;
  settings?: Partial<WorkspaceSettings>;
}

export interface StreamResult {
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within the threshold / (answered + abandoned). */
  serviceLevel: number;
  /** Share of answered contacts that waited at all. */
  probabilityOfWaiting: number;
  /** Seconds from arrival to acceptance, averaged over answered contacts. */
  averageSpeedOfAnswer: number;
  abandonmentRate: number;
}

export interface SimulationResult extends StreamResult {
  /** Busy time / logged-in time over all agents. */
  occupancy: number;
  byStream: Record<string, StreamResult>;
  /** Simulated seconds until the last contact finished. */
  simulatedSeconds: number;
}

type SimEvent =
  | { kind: "arrival"; stream: number }
  | { kind: "abandon"; task: string }
  | { kind: "accept"; reservation: string }
  | { kind: "complete"; task: string }
  | { kind: "login"; worker: string }
  | { kind: "logout"; worker: string };

interface Scheduled {
  at: number;
  seq: number;
  slot: number;
  event: SimEvent;
}

interface Contact {
  stream: number;
  arrivedAt: number;
  answeredAt?: number;
  abandoned?: boolean;
}

export function simulate(config: SimulationConfig): SimulationResult {
  const random = new Random(config.seed);
  const scenario = new Scenario(config.settings);
  const { engine, clock } = scenario;
  const start = clock.now();
  const threshold = config.serviceLevelSeconds ?? 20;

  const queueSids = new Map<string, string>();
  for (const q of config.queues) {
    queueSids.set(
      q.name,
      scenario.queue(q.name, q.targetWorkers, {
        taskOrder: q.taskOrder,
        maxReservedWorkers: q.maxReservedWorkers,
      }),
    );
  }
  const workflow = scenario.workflow(renameQueues(config.workflow, queueSids) as object);

  // The simulated world's own agenda: due time, then the order things were scheduled in.
  const agenda = new IndexedHeap<Scheduled>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
    (item) => item.slot,
    (item, slot) => (item.slot = slot),
  );
  let nextSeq = 0;
  const schedule = (atSeconds: number, event: SimEvent) => {
    agenda.push({ at: start + Math.round(atSeconds * 1000), seq: nextSeq++, slot: -1, event });
  };

  const loggedInSince = new Map<string, number>();
  let loggedInMs = 0;
  let busyMs = 0;
  for (const agent of config.agents) {
    for (let i = 0; i < (agent.count ?? 1); i++) {
      const name = agent.count ? `${agent.name}-${i + 1}` : agent.name;
      const always = !agent.shifts;
      const sid = scenario.worker(name, agent.attributes ?? {}, {
        available: always,
        capacity: agent.capacity,
      });
      if (always) loggedInSince.set(sid, start);
      for (const shift of agent.shifts ?? []) {
        schedule(shift.start, { kind: "login", worker: sid });
        schedule(shift.end, { kind: "logout", worker: sid });
      }
    }
  }
  config.streams.forEach((stream, index) => {
    if (stream.arrivalRate > 0)
      schedule(random.exponential(1 / stream.arrivalRate), { kind: "arrival", stream: index });
  });

  const contacts = new Map<string, Contact>();
  const acceptedAt = new Map<string, number>();

  const handle = (events: RoutingEvent[]) => {
    for (const event of events) {
      if (event.type === "reservation.created") {
        const delay = config.answerDelay ? sample(random, config.answerDelay) : 0;
        schedule((clock.now() - start) / 1000 + delay, { kind: "accept", reservation: event.resourceSid });
      } else if (event.type === "reservation.accepted" && event.task) {
        const contact = contacts.get(event.task.sid)!;
        contact.answeredAt = clock.now();
        acceptedAt.set(event.task.sid, clock.now());
        const duration = sample(random, config.streams[contact.stream]!.handleTime);
        schedule((clock.now() - start) / 1000 + duration, { kind: "complete", task: event.task.sid });
      }
    }
  };
  const run = (command: () => { events: RoutingEvent[] }) => {
    try {
      handle(command().events);
    } catch {
      // The simulated world raced the engine (e.g. an accept after the caller hung up): nothing to do.
    }
  };

  for (;;) {
    const nextSim = agenda.peek()?.at;
    const nextTimer = engine.nextTimerAt();
    if (nextSim === undefined && nextTimer === undefined) break;
    if (nextTimer !== undefined && (nextSim === undefined || nextTimer < nextSim)) {
      clock.set(Math.max(clock.now(), nextTimer));
      handle(engine.fireDueTimers().events);
      continue;
    }
    const due = agenda.pop()!;
    clock.set(Math.max(clock.now(), due.at));
    const event = due.event;
    const nowSeconds = (clock.now() - start) / 1000;
    switch (event.kind) {
      case "arrival": {
        const stream = config.streams[event.stream]!;
        if (nowSeconds > config.durationSeconds) break;
        run(() => {
          const outcome = engine.createTask({
            workflowSid: workflow,
            attributes: stream.attributes,
            channel: stream.channel,
            priority: stream.priority,
          });
          contacts.set(outcome.result, { stream: event.stream, arrivedAt: clock.now() });
          if (stream.patience)
            schedule(nowSeconds + sample(random, stream.patience), { kind: "abandon", task: outcome.result });
          return outcome;
        });
        schedule(nowSeconds + random.exponential(1 / stream.arrivalRate), event);
        break;
      }
      case "abandon": {
        const task = engine.task(event.task);
        if (task && (task.status === "pending" || task.status === "reserved")) {
          contacts.get(event.task)!.abandoned = true;
          run(() => engine.cancelTask(event.task, "Caller abandoned"));
        }
        break;
      }
      case "accept":
        run(() => engine.acceptReservation(event.reservation));
        break;
      case "complete":
        busyMs += clock.now() - acceptedAt.get(event.task)!;
        run(() => engine.completeTask(event.task));
        break;
      case "login":
        loggedInSince.set(event.worker, clock.now());
        run(() => engine.updateWorker(event.worker, { activitySid: scenario.activity.available }));
        break;
      case "logout": {
        loggedInMs += clock.now() - (loggedInSince.get(event.worker) ?? clock.now());
        loggedInSince.delete(event.worker);
        run(() => engine.updateWorker(event.worker, { activitySid: scenario.activity.offline }));
        break;
      }
    }
  }
  const end = clock.now();
  for (const since of loggedInSince.values())
    loggedInMs += Math.max(0, Math.min(end, start + config.durationSeconds * 1000) - since);

  const byStream: Record<string, StreamResult> = {};
  config.streams.forEach((stream, index) => {
    byStream[stream.name] = summarize(
      [...contacts.values()].filter((c) => c.stream === index),
      threshold,
    );
  });
  return {
    ...summarize([...contacts.values()], threshold),
    occupancy: loggedInMs > 0 ? busyMs / loggedInMs : 0,
    byStream,
    simulatedSeconds: (end - start) / 1000,
  };
}

function summarize(contacts: Contact[], threshold: number): StreamResult {
  let answered = 0;
  let abandoned = 0;
  let withinThreshold = 0;
  let waited = 0;
  let totalWait = 0;
  for (const contact of contacts) {
    if (contact.answeredAt !== undefined) {
      answered++;
      const wait = (contact.answeredAt - contact.arrivedAt) / 1000;
      totalWait += wait;
      if (wait <= threshold) withinThreshold++;
      if (wait > 0) waited++;
    } else if (contact.abandoned) {
      abandoned++;
    }
  }
  const finished = answered + abandoned;
  return {
    offered: contacts.length,
    answered,
    abandoned,
    serviceLevel: finished ? withinThreshold / finished : 0,
    probabilityOfWaiting: answered ? waited / answered : 0,
    averageSpeedOfAnswer: answered ? totalWait / answered : 0,
    abandonmentRate: finished ? abandoned / finished : 0,
  };
}

/** Replaces queue names with SIDs in `queue` fields of a workflow document. */
function renameQueues(value: unknown, sids: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameQueues(v, sids));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "queue" && typeof v === "string" ? (sids.get(v) ?? v) : renameQueues(v, sids),
    ]),
  );
}
