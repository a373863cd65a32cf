/** What a visitor's chat holds between page loads (localStorage of the server's origin, in the frame). */
export interface ChatSession {
  token: string;
  socketUrl: string;
  identity: string;
  expires: string;
  /** Messages typed but not yet acknowledged: resent with the same client_id, stored once. */
  outbox: OutgoingMessage[];
}

export interface OutgoingMessage {
  clientId: string;
  body: string;
}

export interface VisitorMessage {
  sid: string;
  index: number;
  author: string;
  body: string;
  media?: Array<{ sid: string; url: string; filename: string | null }>;
}

export interface ChatListener {
  onMessage(message: VisitorMessage): void;
  onTyping(identity: string): void;
  onConnection(connected: boolean): void;
  /** The session is no longer valid: start a new one. */
  onExpired(): void;
  onOutboxChange(outbox: OutgoingMessage[]): void;
}

const SESSIONS = "/switchboard/v1/WebChat/Sessions";

export function storageKey(account: string, address: string): string {
  return `switchboard-chat:${account}:${address}`;
}

export function loadSession(key: string): ChatSession | undefined {
  try {
    const stored = JSON.parse(localStorage.getItem(key) ?? "null") as ChatSession | null;
    return stored && Date.parse(stored.expires) > Date.now() ? stored : undefined;
  } catch {
    return undefined;
  }
}

export async function startSession(
  account: string,
  address: string,
  name: string,
  answers: Record<string, string>,
): Promise<ChatSession> {
  const response = await fetch(SESSIONS, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      AccountSid: account,
      Address: address,
      FriendlyName: name,
      Attributes: JSON.stringify(answers),
    }),
  });
  const body = (await response.json()) as {
    token: string;
    socket_url: string;
    identity: string;
    expires: string;
    message?: string;
  };
  if (!response.ok) throw new Error(body.message ?? "The chat could not start");
  return {
    token: body.token,
    socketUrl: body.socket_url,
    identity: body.identity,
    expires: body.expires,
    outbox: [],
  };
}

/**
 * A visitor's chat socket, kept open: on a drop it reconnects with `after=<last index seen>` and
 * resends unacknowledged messages, so nothing typed or sent to the visitor is lost or doubled.
 */
export class VisitorChat {
  private socket: WebSocket | undefined;
  private lastIndex = -1;
  private closed = false;
  private retryMs = 500;

  constructor(
    private readonly session: ChatSession,
    private readonly key: string,
    private readonly listener: ChatListener,
  ) {}

  start(): void {
    window.addEventListener("online", this.reconnect);
    this.connect();
  }

  stop(): void {
    this.closed = true;
    window.removeEventListener("online", this.reconnect);
    this.socket?.close();
  }

  send(body: string): void {
    const message = { clientId: crypto.randomUUID(), body };
    this.session.outbox.push(message);
    this.save();
    this.transmit(message);
  }

  typing(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "typing" }));
  }

  private readonly reconnect = () => {
    const stale = this.socket;
    this.socket = undefined;
    stale?.close();
    this.retryMs = 500;
    this.connect();
  };

  private transmit(message: OutgoingMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ type: "message", body: message.body, client_id: message.clientId }));
  }

  private save(): void {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.session));
    } catch {
      // Storage may be full or off: the chat still works for this page.
    }
    this.listener.onOutboxChange([...this.session.outbox]);
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(`${this.session.socketUrl}&after=${this.lastIndex}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      this.listener.onConnection(true);
    };
    socket.onmessage = (frame) => {
      const data = JSON.parse(String(frame.data)) as { type: string } & Record<string, unknown>;
      if (data.type === "ready") for (const message of this.session.outbox) this.transmit(message);
      if (data.type === "message") {
        const message = data as unknown as VisitorMessage;
        if (message.index <= this.lastIndex) return;
        this.lastIndex = message.index;
        this.listener.onMessage(message);
      }
      if (data.type === "ack") {
        this.session.outbox = this.session.outbox.filter((m) => m.clientId !== data.client_id);
        this.save();
      }
      if (data.type === "typing") this.listener.onTyping(String(data.identity));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.listener.onConnection(false);
      if (event.code === 4001) {
        this.closed = true;
        this.listener.onExpired();
        return;
      }
      if (this.closed) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5_000);
    };
  }
}

/** Where the visitor is in line: how many are ahead and the estimated wait (null: no estimate yet). */
export async function waitLine(
  token: string,
): Promise<{ ahead: number; seconds: number | null } | undefined> {
  const response = await fetch("/switchboard/v1/WebChat/Wait", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) return undefined;
  const line = (await response.json()) as {
    status: string;
    ahead?: number;
    estimated_wait_seconds?: number | null;
  };
  if (line.status !== "waiting") return undefined;
  return { ahead: line.ahead ?? 0, seconds: line.estimated_wait_seconds ?? null };
}
