import twilio from "twilio";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

describe.each(dialects())("webhook delivery on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let receiver: WebhookReceiver;
  let account: { sid: string; authToken: string };
  let auth: string;

  const api = async (method: string, path: string, params?: Record<string, string>) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        Authorization: auth,
        ...(params && { "Content-Type": "application/x-www-form-urlencoded" }),
      },
      ...(params && { body: new URLSearchParams(params).toString() }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db, {
      SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: "3",
      SWITCHBOARD_WEBHOOK_BACKOFF_BASE_MS: "200",
      // Polling slower than the backoff: retries must be woken at their due time, not by the poll.
      SWITCHBOARD_POLL_INTERVAL_MS: "5000",
    }));
    receiver = await new WebhookReceiver().start();
    account = await switchboard.accounts.create({ friendlyName: "Webhooks" });
    auth = "Basic " + Buffer.from(`${account.sid}:${account.authToken}`).toString("base64");
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await receiver.stop();
    await db.drop();
  });

  it("POSTs each subscribed event once, form-encoded and signed so the SDK's validator accepts it", async () => {
    const hookUrl = `${receiver.url}events?tenant=acme`;
    const created = await api("POST", "/switchboard/v1/Webhooks", {
      Url: hookUrl,
      FriendlyName: "ops",
      EventTypes: "api-key.created,api-key.deleted",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      webhook_url: hookUrl,
      event_types: ["api-key.created", "api-key.deleted"],
      status: "active",
    });

    const client = localTwilio(baseUrl, account.sid, account.authToken);
    const key = await client.newKeys.create({ friendlyName: "k" });
    await client.keys(key.sid).update({ friendlyName: "renamed" }); // not subscribed
    await client.keys(key.sid).remove();

    await eventually(() => (receiver.received.length >= 2 ? true : undefined), 10_000, "two webhooks");
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing else arrives
    expect(receiver.received.map((r) => r.params.EventType)).toEqual(["api-key.created", "api-key.deleted"]);
    for (const request of receiver.received) {
      expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(request.headers["i-twilio-idempotency-token"]).toBe(request.params.Sid);
      expect(request.params).toMatchObject({
        AccountSid: account.sid,
        ResourceSid: key.sid,
        ResourceType: "api-key",
      });
      const signature = request.headers["x-twilio-signature"] as string;
      expect(twilio.validateRequest(account.authToken, signature, hookUrl, request.params)).toBe(true);
      expect(twilio.validateRequest("some-other-token", signature, hookUrl, request.params)).toBe(false);
    }

    const deliveries = await eventually(async () => {
      const list = await api("GET", `/switchboard/v1/Webhooks/${created.body.sid}/Deliveries`);
      return list.body.deliveries.every((d: any) => d.status === "delivered")
        ? list.body.deliveries
        : undefined;
    });
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]).toMatchObject({
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
    const attempts = await api(
      "GET",
      `/switchboard/v1/Webhooks/${created.body.sid}/Deliveries/${deliveries[0].sid}/Attempts`,
    );
    expect(attempts.body.attempts).toMatchObject([
      { attempt_number: 1, outcome: "succeeded", status_code: 200 },
    ]);
  });

  it("retries failures with growing delays and dead-letters after the last attempt, all visible through the API", async () => {
    receiver.behave = () => ({ status: 503 });
    const hook = await api("POST", "/switchboard/v1/Webhooks", {
      Url: receiver.url,
      EventTypes: "api-key.created",
    });
    await localTwilio(baseUrl, account.sid, account.authToken).newKeys.create({ friendlyName: "k" });

    const delivery = await eventually(
      async () => {
        const list = await api("GET", `/switchboard/v1/Webhooks/${hook.body.sid}/Deliveries?Status=dead`);
        return list.body.deliveries[0];
      },
      10_000,
      "dead-lettered delivery",
    );
    expect(delivery).toMatchObject({
      status: "dead",
      attempts: 3,
      last_status_code: 503,
      last_error: "receiver answered HTTP 503",
    });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.params.Sid)).size).toBe(1);

    const attempts = await api(
      "GET",
      `/switchboard/v1/Webhooks/${hook.body.sid}/Deliveries/${delivery.sid}/Attempts`,
    );
    expect(attempts.body.attempts.map((x: any) => [x.attempt_number, x.outcome, x.status_code])).toEqual([
      [1, "failed", 503],
      [2, "failed", 503],
      [3, "failed", 503],
    ]);
    // Backoff: base 200 ms doubling, ±20 % jitter → gaps of 160–240 ms, then 320–480 ms.
    const [t0, t1, t2] = receiver.received.map((r) => r.at) as [number, number, number];
    expect(t1 - t0).toBeGreaterThanOrEqual(150);
    expect(t1 - t0).toBeLessThan(300);
    expect(t2 - t1).toBeGreaterThanOrEqual(310);
    expect(t2 - t1).toBeLessThan(600);
    const metrics = await fetch(baseUrl + "/metrics").then((r) => r.text());
    expect(metrics).toContain("switchboard_webhook_dead_lettered_total 1");
  });

  it("records unreachable receivers with the reason, and recovers when they come back", async () => {
    let failures = 1;
    receiver.behave = () => (failures-- > 0 ? { status: 500 } : { status: 204 });
    const closedPort = await new WebhookReceiver().start();
    await closedPort.stop();
    const hook = await api("POST", "/switchboard/v1/Webhooks", {
      Url: `${closedPort.url}gone`,
      EventTypes: "api-key.created",
    });
    await localTwilio(baseUrl, account.sid, account.authToken).newKeys.create({ friendlyName: "k" });
    const refused = await eventually(async () => {
      const list = await api("GET", `/switchboard/v1/Webhooks/${hook.body.sid}/Deliveries`);
      return list.body.deliveries[0]?.last_error ? list.body.deliveries[0] : undefined;
    });
    expect(refused.last_error).toMatch(/^connection failed: ECONNREFUSED/);
    expect(refused.last_status_code).toBeNull();

    // Pointing the subscription at a live receiver affects new events; the old delivery keeps its URL.
    await api("POST", `/switchboard/v1/Webhooks/${hook.body.sid}`, { Url: receiver.url });
    await localTwilio(baseUrl, account.sid, account.authToken).newKeys.create({ friendlyName: "k2" });
    await eventually(() => (receiver.received.length === 2 ? true : undefined), 10_000, "retry after a 500");
    expect(receiver.received.map((r) => r.params.FriendlyName)).toEqual(["k2", "k2"]);
  });

  it("sends nothing to disabled or deleted subscriptions", async () => {
    const disabled = await api("POST", "/switchboard/v1/Webhooks", { Url: receiver.url, Status: "disabled" });
    const deleted = await api("POST", "/switchboard/v1/Webhooks", {
      Url: receiver.url,
      EventTypes: "api-key.created",
    });
    expect(
      (
        await fetch(baseUrl + `/switchboard/v1/Webhooks/${deleted.body.sid}`, {
          method: "DELETE",
          headers: { Authorization: auth },
        })
      ).status,
    ).toBe(204);
    const live = await api("POST", "/switchboard/v1/Webhooks", {
      Url: `${receiver.url}live`,
      EventTypes: "api-key.created",
    });
    await localTwilio(baseUrl, account.sid, account.authToken).newKeys.create({ friendlyName: "k" });
    await eventually(() => (receiver.received.length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((r) => r.url)).toEqual([`${receiver.url}live`]);
    const list = await api("GET", "/switchboard/v1/Webhooks");
    expect(list.body.webhooks.map((w: any) => w.sid).sort()).toEqual(
      [disabled.body.sid, live.body.sid].sort(),
    );
  });
});
