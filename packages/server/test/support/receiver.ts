import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  url: string;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
  /** When the request arrived (ms since the epoch). */
  at: number;
  /** The status the receiver answered with; undefined while it hangs. */
  answered: number | undefined;
}

/** What the receiver does with a request: answer with a status (and a JSON body), or never answer (a hung peer). */
export type Behaviour = { status: number; json?: unknown } | "hang";

/**
 * A real HTTP endpoint on loopback standing in for a customer's webhook receiver. It records every
 * request and answers as `behave` says, which a test may change at any time.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  behave: (request: ReceivedWebhook, index: number) => Behaviour = () => ({ status: 200 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const received = {
        url: this.url + (req.url?.slice(1) ?? ""),
        headers: req.headers,
        params,
        at: Date.now(),
        answered: undefined as number | undefined,
      };
      this.received.push(received);
      const behaviour = this.behave(received, this.received.length - 1);
      if (behaviour === "hang") return;
      received.answered = behaviour.status;
      if (behaviour.json === undefined) res.writeHead(behaviour.status).end();
      else
        res
          .writeHead(behaviour.status, { "Content-Type": "application/json" })
          .end(JSON.stringify(behaviour.json));
    });
  });
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
