import { api, DESKTOP } from "./api.ts";

export interface StreamEvent {
  type: "event";
  seq: number;
  sid: string;
  event_type: string;
  resource_sid: string;
  data: Record<string, string>;
}

export interface QueueFigures {
  task_queue_sid: string;
  friendly_name: string;
  tasks_by_status: Record<string, number>;
  longest_task_waiting_age: number;
  total_available_workers: number;
  total_eligible_workers: number;
}

export type StreamMessage =
  | StreamEvent
  | { type: "ready"; position: number }
  | { type: "typing"; conversation_sid: string; identity: string }
  | {
      type: "statistics";
      workspace: { tasks_by_status: Record<string, number> };
      task_queues: QueueFigures[];
    };

const ROUTING_EVENT = /^(reservation|task|worker)\./;

export interface StreamHandlers {
  onMessage(message: StreamMessage): void;
  /** Called on every (re)connection once the server has caught the client up. */
  onReady(): void;
  /** Workers, tasks or reservations changed: called at most every 250 ms while such events flow. */
  onRoutingChange(): void;
  onConnectionChange(connected: boolean): void;
}

/**
 * The real-time stream, kept open: on a drop it fetches a fresh token and reconnects with
 * `after=<last event seq>`, so the server sends exactly what was missed (each event once).
 */
export class Stream {
  private socket: WebSocket | undefined;
  private lastSeq: number | undefined;
  private closed = false;
  private retryMs = 500;
  private readonly watched = new Set<string>();
  private routingDue: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly role: "worker" | "supervisor",
    private readonly handlers: StreamHandlers,
  ) {}

  start(): void {
    window.addEventListener("online", this.reconnect);
    window.addEventListener("offline", this.dropped);
    void this.connect();
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.routingDue);
    window.removeEventListener("online", this.reconnect);
    window.removeEventListener("offline", this.dropped);
    this.socket?.close();
  }

  /** A socket can outlive the network silently; when the browser says it is back, start afresh. */
  private readonly reconnect = () => {
    const stale = this.socket;
    this.socket = undefined;
    stale?.close();
    this.retryMs = 500;
    void this.connect();
  };

  private readonly dropped = () => this.handlers.onConnectionChange(false);

  /** Supervisors: receive a conversation's events too (kept across reconnects). */
  watch(conversationSid: string): void {
    this.watched.add(conversationSid);
    this.send({ type: "watch", conversation_sid: conversationSid });
  }

  unwatch(conversationSid: string): void {
    this.watched.delete(conversationSid);
    this.send({ type: "unwatch", conversation_sid: conversationSid });
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let url: string;
    try {
      ({ stream_url: url } = await api<{ stream_url: string }>("POST", `${DESKTOP}/StreamToken`, {
        Role: this.role,
      }));
    } catch {
      this.retry();
      return;
    }
    const socket = new WebSocket(this.lastSeq === undefined ? url : `${url}&after=${this.lastSeq}`);
    this.socket = socket;
    socket.onmessage = (frame) => {
      const message = JSON.parse(String(frame.data)) as StreamMessage;
      if (message.type === "event") {
        this.lastSeq = message.seq;
        // Routing events come in bursts (a reservation, its task, the worker): one re-read covers them.
        if (ROUTING_EVENT.test(message.event_type) && !this.routingDue)
          this.routingDue = setTimeout(() => {
            this.routingDue = undefined;
            this.handlers.onRoutingChange();
          }, 250);
      }
      if (message.type === "ready") {
        this.lastSeq ??= message.position;
        this.retryMs = 500;
        this.handlers.onConnectionChange(true);
        for (const sid of this.watched) this.send({ type: "watch", conversation_sid: sid });
        this.handlers.onReady();
      }
      this.handlers.onMessage(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.handlers.onConnectionChange(false);
      this.retry();
    };
  }

  private retry(): void {
    if (this.closed) return;
    setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }
}
