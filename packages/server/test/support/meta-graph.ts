import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GraphSubmission {
  /** The node the message was posted to: a phone number ID or a page ID. */
  node: string;
  accessToken: string | undefined;
  body: Record<string, any>;
  id: string;
}

/** How the next send is answered: taken, or refused with an HTTP status and Meta's error object. */
export type GraphAnswer =
  "accept" | { status: number; error: { message: string; code: number; error_subcode?: number } };

/**
 * A real HTTP server on loopback that speaks the part of Meta's Graph API a business uses to send
 * on WhatsApp (`POST /{phone-number-id}/messages` → `messages[0].id`) and Messenger
 * (`POST /{page-id}/messages` → `message_id`), with bearer tokens. It plays Meta's side of webhooks
 * too: the verification handshake and events signed with `X-Hub-Signature-256` under the app
 * secret.
 */
export class MetaGraph {
  readonly accessToken = `EAAG${randomBytes(12).toString("hex")}`;
  readonly appSecret = randomBytes(16).toString("hex");
  readonly submitted: GraphSubmission[] = [];
  readonly answers: GraphAnswer[] = [];
  /** Files customers sent, by media ID: described at `/{id}`, handed over at `/files/{id}`. */
  readonly media = new Map<string, { content: Buffer; mimeType: string }>();
  url = "";
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET") return this.serveMedia(req, res);
      const match = /^\/v21\.0\/([^/]+)\/messages$/.exec(req.url ?? "");
      if (req.method !== "POST" || !match)
        return json(res, 404, { error: { message: "Unknown path", code: 803 } });
      const token = req.headers.authorization?.replace(/^Bearer /, "");
      if (token !== this.accessToken)
        return json(res, 401, { error: { message: "Invalid OAuth access token.", code: 190 } });
      const answer = this.answers.shift() ?? "accept";
      if (answer !== "accept") return json(res, answer.status, { error: answer.error });
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, any>;
      const whatsapp = body.messaging_product === "whatsapp";
      const id = whatsapp
        ? `wamid.${randomBytes(12).toString("hex")}`
        : `m_${randomBytes(12).toString("hex")}`;
      this.submitted.push({ node: decodeURIComponent(match[1]!), accessToken: token, body, id });
      json(
        res,
        200,
        whatsapp
          ? {
              messaging_product: "whatsapp",
              contacts: [{ input: body.to, wa_id: body.to }],
              messages: [{ id }],
            }
          : { recipient_id: body.recipient?.id, message_id: id },
      );
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v21.0`;
    return this;
  }

  private serveMedia(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.accessToken}`)
      return json(res, 401, { error: { message: "Invalid OAuth access token.", code: 190 } });
    const described = /^\/v21\.0\/([^/]+)$/.exec(req.url ?? "");
    const download = /^\/files\/([^/]+)$/.exec(req.url ?? "");
    const id = decodeURIComponent((described ?? download)?.[1] ?? "");
    const file = this.media.get(id);
    if (!file) return json(res, 404, { error: { message: "Unsupported get request", code: 100 } });
    if (described)
      return json(res, 200, {
        id,
        url: `${this.url.replace(/\/v21\.0$/, "")}/files/${encodeURIComponent(id)}`,
        mime_type: file.mimeType,
        file_size: file.content.length,
        messaging_product: "whatsapp",
      });
    res.writeHead(200, { "Content-Type": file.mimeType }).end(file.content);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Meta's GET when the webhook URL is saved in the app's dashboard. */
  async handshake(url: string, verifyToken: string, challenge: string) {
    const query = new URLSearchParams({
      "hub.mode": "subscribe",
      "hub.verify_token": verifyToken,
      "hub.challenge": challenge,
    });
    const response = await fetch(`${url}?${query.toString()}`);
    return { status: response.status, text: await response.text() };
  }

  /** An event POSTed to a webhook, signed as Meta signs it (or with another secret, to forge one). */
  async deliver(url: string, payload: unknown, appSecret = this.appSecret) {
    const raw = Buffer.from(JSON.stringify(payload));
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`,
      },
      body: raw,
    });
    return { status: response.status, text: await response.text() };
  }
}

/** WhatsApp's `messages` change for one business number. */
export function whatsappChange(
  number: { id: string; display: string },
  value: { messages?: unknown[]; statuses?: unknown[]; contacts?: unknown[] },
) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "WABA1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: number.display, phone_number_id: number.id },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** Messenger's `messaging` events for one page. */
export function pageEvents(pageId: string, messaging: unknown[]) {
  return { object: "page", entry: [{ id: pageId, time: Date.now(), messaging }] };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}
