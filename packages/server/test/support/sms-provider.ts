import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";

export interface SubmittedMessage {
  sid: string;
  params: Record<string, string | string[]>;
  idempotencyToken: string | undefined;
}

/** A delivery report, as `SmsProvider.report` sends it. */
export interface Report {
  status: string;
  error?: { code: number; message: string };
}

/**
 * How the provider answers the next submission: take it; take it, but only after sending these
 * reports on it (receipts that overtake the answer); or refuse with a status and Twilio error body.
 */
export type Answer =
  "accept" | { reportFirst: Report[] } | { status: number; code?: number; message?: string };

/**
 * A real HTTP server on loopback that speaks the part of Twilio's Messages API an upstream SMS
 * provider offers: `POST /2010-04-01/Accounts/{AC}/Messages.json` with Basic auth, answered with the
 * new message's SID; delivery reports POSTed to the StatusCallback it was given; inbound messages
 * POSTed to a webhook. Every request it makes is signed with its auth token, computed by the
 * official twilio SDK (an implementation independent of ours).
 */
export class SmsProvider {
  readonly accountSid = `AC${randomBytes(16).toString("hex")}`;
  readonly authToken = randomBytes(16).toString("hex");
  readonly submitted: SubmittedMessage[] = [];
  /** Answers for the next submissions, in order; once empty, every submission is taken. */
  readonly answers: Answer[] = [];
  url = "";
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const expectedPath = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
      const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString("base64")}`;
      if (req.method !== "POST" || req.url !== expectedPath) return json(res, 404, { code: 20404 });
      if (req.headers.authorization !== expectedAuth)
        return json(res, 401, { code: 20003, message: "Authenticate" });
      const answer = this.answers.shift() ?? "accept";
      if (answer !== "accept" && "status" in answer)
        return json(res, answer.status, {
          code: answer.code,
          message: answer.message,
          status: answer.status,
        });
      const params: Record<string, string | string[]> = {};
      for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) {
        const current = params[name];
        params[name] = current === undefined ? value : [...[current].flat(), value];
      }
      const sid = `SM${randomBytes(16).toString("hex")}`;
      const submitted = {
        sid,
        params,
        idempotencyToken: req.headers["i-twilio-idempotency-token"] as string | undefined,
      };
      this.submitted.push(submitted);
      const taken = () =>
        json(res, 201, { sid, status: "queued", to: params.To, from: params.From, body: params.Body });
      if (answer === "accept") return taken();
      void (async () => {
        for (const { status, error } of answer.reportFirst) await this.report(submitted, status, error);
        taken();
      })();
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Reports a submitted message's progress to the StatusCallback it came with. */
  report(message: SubmittedMessage, status: string, error?: { code: number; message: string }) {
    return this.signedPost(message.params.StatusCallback as string, {
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: status,
      SmsStatus: status,
      AccountSid: this.accountSid,
      To: message.params.To as string,
      From: message.params.From as string,
      ...(error && { ErrorCode: String(error.code), ErrorMessage: error.message }),
    });
  }

  /** The parameters that make a Switchboard provider resource for this upstream, sending from `address`. */
  resourceParams(address: string): Record<string, string> {
    return {
      Type: "twilio",
      FriendlyName: "Upstream",
      BaseUrl: this.url,
      Username: this.accountSid,
      Password: this.authToken,
      Addresses: address,
    };
  }

  /** A message from a handset, POSTed to a webhook as the provider would. */
  inbound(url: string, from: string, to: string, body: string, sid = `SM${randomBytes(16).toString("hex")}`) {
    return this.signedPost(url, {
      MessageSid: sid,
      SmsSid: sid,
      AccountSid: this.accountSid,
      From: from,
      To: to,
      Body: body,
      NumMedia: "0",
    });
  }

  async signedPost(url: string, params: Record<string, string>, authToken = this.authToken) {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio.getExpectedTwilioSignature(authToken, url, params),
      },
      body: new URLSearchParams(params),
    });
    return { status: response.status, text: await response.text() };
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}
