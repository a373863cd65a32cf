import WebSocket from "ws";
import { eventually } from "./server.ts";

export interface Frame {
  type: string;
  index?: number;
  author?: string;
  body?: string;
  client_id?: string;
  duplicate?: boolean;
  conversation_sid?: string | null;
}

/** A visitor's browser: a socket that records every frame and how it closed. */
export class Visitor {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => this.frames.push(JSON.parse(data.toString()) as Frame));
    socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string): Promise<Visitor> {
    const visitor = new Visitor(new WebSocket(url));
    await eventually(() => (visitor.ready() || visitor.closed ? true : undefined), 10_000, "the chat socket");
    return visitor;
  }

  ready(): Frame | undefined {
    return this.frames.find((f) => f.type === "ready");
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  messages(): string[] {
    return this.frames.filter((f) => f.type === "message").map((f) => `${f.index} ${f.author}: ${f.body}`);
  }

  async until<T>(check: (visitor: this) => T | undefined, what: string): Promise<T> {
    return eventually(() => check(this), 10_000, what);
  }

  async close(): Promise<void> {
    this.socket.close();
    await eventually(() => (this.closed ? true : undefined));
  }
}
