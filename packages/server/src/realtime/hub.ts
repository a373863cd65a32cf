import type { Logger } from "pino";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import { iso8601 } from "../platform/time.ts";
import type { TypingRelay } from "../conversations/typing.ts";
import type { RoutingService } from "../routing/service.ts";
import type { StreamGrant } from "./tokens.ts";

/** One connected client, as the hub sees it. */
export interface Subscriber {
  grant: StreamGrant;
  /** The last event sequence this client has been sent (or chose to start after). */
  position: number;
  /** For a worker: the tasks it has been offered, whose updates it receives. */
  tasks: Set<string>;
  /** For a worker: the conversations those tasks carry (`conversationSid`), whose events it receives. */
  conversations: Set<string>;
  send(message: StreamMessage): void;
}

export type StreamMessage =
  | { type: "ready"; role: StreamGrant["role"]; worker_sid: string | null; position: number }
  | {
      type: "event";
      seq: number;
      sid: string;
      event_type: string;
      resource_type: string;
      resource_sid: string;
      description: string;
      date_created: string;
      data: Record<string, string>;
    }
  | { type: "statistics"; workspace_sid: string; workspace: unknown; task_queues: unknown[] }
  /** Ephemeral: someone is typing in a conversation the worker follows. */
  | { type: "typing"; conversation_sid: string; identity: string };

const BATCH = 1000;
/** Supervisors' statistics are pushed at most this often per workspace while events flow. */
const STATISTICS_THROTTLE_MS = 200;
/** ... and at least this often, since waiting times grow without any event. */
const STATISTICS_HEARTBEAT_MS = 5_000;

/**
 * Fans the event log out to stream clients. The hub reads each new batch once and hands every live
 * subscriber the events its grant allows. A client that connects with a resume position first
 * catches up from the log on its own, then joins the live set in the same step that sees it has
 * caught up, so it gets every event after its position exactly once, in order.
 *
 * An event is offered only to the live subscribers it can concern, found through indexes: the
 * supervisors of its workspace, the worker it names, the workers offered the task it is about, and
 * the followers of its conversation. `deliver` decides; the indexes only narrow whom it is asked
 * about (each holds every live subscriber `deliver` could accept for its key). Asking every
 * subscriber of the workspace about every event cost the event loop more than the writes themselves
 * with a few hundred agents connected.
 */
export class StreamHub {
  private position = 0;
  /** Live subscribers by workspace, and the supervisors among them, who get all its events. */
  private readonly live = new Map<string, Set<Subscriber>>();
  private readonly supervisors = new Map<string, Set<Subscriber>>();
  /** Live workers by worker SID: events naming the worker are theirs. */
  private readonly workers = new Map<string, Set<Subscriber>>();
  /** Live workers by the SIDs of tasks they were offered: those tasks' events reach them. */
  private readonly taskFollowers = new Map<string, Set<Subscriber>>();
  /** Subscribers following a conversation, by conversation SID (conversation events are scoped to it). */
  private readonly followers = new Map<string, Set<Subscriber>>();
  private readonly passes: Passes;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly statisticsDue = new Map<string, NodeJS.Timeout>();
  private readonly wake = () => this.passes.request();
  private unsubscribeTyping: (() => void) | undefined;

  constructor(
    private readonly events: EventLog,
    private readonly routing: RoutingService,
    private readonly typing: TypingRelay,
    private readonly logger: Logger,
  ) {
    this.passes = new Passes(
      () => this.pump(),
      (error) => this.logger.error({ err: error }, "stream pass failed"),
    );
  }

  async start(): Promise<void> {
    this.position = await this.events.head();
    this.events.appended.on("appended", this.wake);
    this.heartbeat = setInterval(() => {
      for (const workspace of this.supervisors.keys()) this.pushStatistics(workspace);
    }, STATISTICS_HEARTBEAT_MS);
    this.heartbeat.unref();
    this.unsubscribeTyping = this.typing.subscribe(({ accountSid, conversationSid, identity }) => {
      for (const subscriber of this.followers.get(conversationSid) ?? [])
        if (subscriber.grant.accountSid === accountSid)
          subscriber.send({ type: "typing", conversation_sid: conversationSid, identity });
    });
  }

  async stop(): Promise<void> {
    this.events.appended.off("appended", this.wake);
    this.unsubscribeTyping?.();
    clearInterval(this.heartbeat);
    for (const timer of this.statisticsDue.values()) clearTimeout(timer);
    this.statisticsDue.clear();
    await this.passes.stop();
    this.live.clear();
    this.supervisors.clear();
    this.workers.clear();
    this.taskFollowers.clear();
    this.followers.clear();
  }

  /**
   * Adds a client: from `after` (a resume) or from now. Resolves once it is live; `isOpen` lets a
   * client that went away during catch-up stop it.
   */
  async attach(subscriber: Subscriber, after: number | undefined, isOpen: () => boolean): Promise<void> {
    const { grant } = subscriber;
    if (grant.role === "worker") {
      const engine = this.routing.get(grant.accountSid, grant.workspaceSid)?.router.routing;
      for (const r of engine?.reservationsOfWorker(grant.workerSid) ?? []) {
        subscriber.tasks.add(r.taskSid);
        const conversationSid = engine?.task(r.taskSid)?.attributes.conversationSid;
        if (typeof conversationSid === "string") subscriber.conversations.add(conversationSid);
      }
    }
    subscriber.position = after ?? this.position;
    while (subscriber.position < this.position && isOpen()) {
      const until = this.position;
      const batch = await this.events.readAfter(subscriber.position, BATCH);
      for (const event of batch) if (event.seq <= until) this.deliver(subscriber, event);
      const last = batch.at(-1);
      if (!last) break;
      subscriber.position = Math.min(last.seq, until);
    }
    if (!isOpen()) return;
    // No await between the check above and this: the hub cannot move in between.
    join(this.live, grant.workspaceSid, subscriber);
    if (grant.role === "supervisor") join(this.supervisors, grant.workspaceSid, subscriber);
    else {
      join(this.workers, grant.workerSid, subscriber);
      for (const taskSid of subscriber.tasks) join(this.taskFollowers, taskSid, subscriber);
    }
    for (const conversationSid of subscriber.conversations) join(this.followers, conversationSid, subscriber);
    subscriber.send({
      type: "ready",
      role: grant.role,
      worker_sid: grant.role === "worker" ? grant.workerSid : null,
      position: subscriber.position,
    });
    if (grant.role === "supervisor") this.sendStatistics(subscriber);
  }

  detach(subscriber: Subscriber): void {
    const { grant } = subscriber;
    leave(this.live, grant.workspaceSid, subscriber);
    if (grant.role === "supervisor") leave(this.supervisors, grant.workspaceSid, subscriber);
    else {
      leave(this.workers, grant.workerSid, subscriber);
      for (const taskSid of subscriber.tasks) leave(this.taskFollowers, taskSid, subscriber);
    }
    for (const conversationSid of subscriber.conversations)
      leave(this.followers, conversationSid, subscriber);
  }

  /**
   * A supervisor watches a conversation (live monitor): from now on its events — messages, typing,
   * whispers — reach them too. What came before they read through the API; the watch lasts as long
   * as the socket, so a client re-sends it after reconnecting.
   */
  watch(subscriber: Subscriber, conversationSid: string): void {
    if (subscriber.grant.role !== "supervisor" || subscriber.conversations.has(conversationSid)) return;
    subscriber.conversations.add(conversationSid);
    if (this.live.get(subscriber.grant.workspaceSid)?.has(subscriber))
      join(this.followers, conversationSid, subscriber);
  }

  unwatch(subscriber: Subscriber, conversationSid: string): void {
    if (subscriber.grant.role !== "supervisor" || !subscriber.conversations.delete(conversationSid)) return;
    leave(this.followers, conversationSid, subscriber);
  }

  private async pump(): Promise<void> {
    for (;;) {
      const batch = await this.events.readAfter(this.position, BATCH);
      const last = batch.at(-1);
      if (!last) return;
      const touched = new Set<string>();
      for (const event of batch) {
        const scope = event.scopeSid;
        if (!scope) continue;
        touched.add(scope);
        this.deliverAll(this.supervisors.get(scope), event);
        const { WorkerSid: workerSid, TaskSid: taskSid } = event.data;
        if (workerSid) this.deliverAll(this.workers.get(workerSid), event);
        if (taskSid && event.resourceType === "task") this.deliverAll(this.taskFollowers.get(taskSid), event);
        this.deliverAll(this.followers.get(scope), event);
      }
      this.position = last.seq;
      for (const workspace of touched) this.scheduleStatistics(workspace);
      if (batch.length < BATCH) return;
    }
  }

  private deliverAll(subscribers: Set<Subscriber> | undefined, event: StoredEvent): void {
    if (subscribers) for (const subscriber of subscribers) this.deliver(subscriber, event);
  }

  /** Sends the event if the subscriber may see it and has not had it yet. */
  private deliver(subscriber: Subscriber, event: StoredEvent): void {
    if (event.seq <= subscriber.position) return;
    subscriber.position = event.seq;
    const { grant } = subscriber;
    if (event.accountSid !== grant.accountSid) return;
    const followed = event.scopeSid !== null && subscriber.conversations.has(event.scopeSid);
    if (!followed && event.scopeSid !== grant.workspaceSid) return;
    if (grant.role === "worker" && !followed) {
      const own = event.data.WorkerSid === grant.workerSid;
      const taskSid = event.data.TaskSid;
      if (own && event.eventType === "reservation.created" && taskSid)
        this.offered(subscriber, event, taskSid);
      if (!own && !(taskSid && subscriber.tasks.has(taskSid) && event.resourceType === "task")) return;
    }
    subscriber.send({
      type: "event",
      seq: event.seq,
      sid: event.sid,
      event_type: event.eventType,
      resource_type: event.resourceType,
      resource_sid: event.resourceSid,
      description: event.description,
      date_created: iso8601(event.dateCreated),
      data: event.data,
    });
  }

  /** A worker was offered a task: it follows the task, and the conversation the task carries. */
  private offered(subscriber: Subscriber, event: StoredEvent, taskSid: string): void {
    // A subscriber still catching up joins the indexes when it goes live (attach).
    const live = this.live.get(subscriber.grant.workspaceSid)?.has(subscriber) ?? false;
    if (!subscriber.tasks.has(taskSid)) {
      subscriber.tasks.add(taskSid);
      if (live) join(this.taskFollowers, taskSid, subscriber);
    }
    const conversationSid = conversationOf(event.data.TaskAttributes);
    if (conversationSid === undefined || subscriber.conversations.has(conversationSid)) return;
    subscriber.conversations.add(conversationSid);
    if (live) join(this.followers, conversationSid, subscriber);
  }

  private scheduleStatistics(workspaceSid: string): void {
    if (this.statisticsDue.has(workspaceSid) || !this.supervisors.has(workspaceSid)) return;
    this.statisticsDue.set(
      workspaceSid,
      setTimeout(() => {
        this.statisticsDue.delete(workspaceSid);
        this.pushStatistics(workspaceSid);
      }, STATISTICS_THROTTLE_MS),
    );
  }

  private pushStatistics(workspaceSid: string): void {
    for (const subscriber of this.supervisors.get(workspaceSid) ?? []) this.sendStatistics(subscriber);
  }

  /** The workspace's and each queue's real-time statistics, as the REST API reports them. */
  private sendStatistics(subscriber: Subscriber): void {
    const { accountSid, workspaceSid } = subscriber.grant;
    const router = this.routing.get(accountSid, workspaceSid)?.router;
    if (!router) return;
    router.now();
    const queues = [...router.catalog.queues.values()].map(({ record }) => ({
      task_queue_sid: record.sid,
      friendly_name: record.friendlyName,
      ...router.routing.realtimeStatistics({ kind: "queue", sid: record.sid }),
    }));
    subscriber.send({
      type: "statistics",
      workspace_sid: workspaceSid,
      workspace: router.routing.realtimeStatistics({ kind: "workspace" }),
      task_queues: queues,
    });
  }
}

function conversationOf(taskAttributes: string | undefined): string | undefined {
  if (!taskAttributes) return undefined;
  try {
    const value = (JSON.parse(taskAttributes) as { conversationSid?: unknown }).conversationSid;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function join(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  const set = index.get(key);
  if (set) set.add(subscriber);
  else index.set(key, new Set([subscriber]));
}

function leave(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  const set = index.get(key);
  if (!set?.delete(subscriber) || set.size > 0) return;
  index.delete(key);
}
