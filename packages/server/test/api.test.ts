import http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

interface Creds {
  sid: string;
  token: string;
}

/** Raw HTTP with Basic auth: what a non-SDK client (curl, another language) sends. */
async function call(
  baseUrl: string,
  method: string,
  path: string,
  creds?: Creds | string,
  init: RequestInit = {},
) {
  const headers = new Headers(init.headers);
  if (creds) {
    const pair = typeof creds === "string" ? creds : `${creds.sid}:${creds.token}`;
    headers.set("Authorization", "Basic " + Buffer.from(pair).toString("base64"));
  }
  const response = await fetch(baseUrl + path, { ...init, method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function form(params: Record<string, string>): RequestInit {
  return {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  };
}

function expectTwilioError(body: any, status: number, code: number) {
  expect(body).toEqual({
    code,
    message: expect.any(String),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}

describe.each(dialects())("HTTP API on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let a: Creds;
  let b: Creds;

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const accountA = await switchboard.accounts.create({ friendlyName: "Account A" });
    const accountB = await switchboard.accounts.create({ friendlyName: "Account B" });
    a = { sid: accountA.sid, token: accountA.authToken };
    b = { sid: accountB.sid, token: accountB.authToken };
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await db.drop();
  });

  it("serves the official twilio SDK: account fetch and the whole API key lifecycle", async () => {
    const client = localTwilio(baseUrl, a.sid, a.token);
    const account = await client.api.v2010.accounts(a.sid).fetch();
    expect(account.sid).toBe(a.sid);
    expect(account.friendlyName).toBe("Account A");
    expect(account.status).toBe("active");

    const created = await client.newKeys.create({ friendlyName: "deploy bot" });
    expect(created.sid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(created.dateCreated).toBeInstanceOf(Date);

    const renamed = await client.keys(created.sid).update({ friendlyName: "release bot" });
    expect(renamed.friendlyName).toBe("release bot");
    expect((await client.keys(created.sid).fetch()).friendlyName).toBe("release bot");
    expect((await client.keys.list()).map((k) => k.sid)).toEqual([created.sid]);

    // The key authenticates as the account...
    const viaKey = localTwilio(baseUrl, created.sid, created.secret, a.sid);
    expect((await viaKey.api.v2010.accounts(a.sid).fetch()).sid).toBe(a.sid);
    // ...but cannot manage keys, and stops working the moment it is deleted.
    await expect(viaKey.keys.list()).rejects.toMatchObject({ status: 403, code: 20403 });
    expect(await client.keys(created.sid).remove()).toBe(true);
    await expect(viaKey.api.v2010.accounts(a.sid).fetch()).rejects.toMatchObject({
      status: 401,
      code: 20003,
    });
    await expect(client.keys(created.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it("pages lists the Twilio way, and the SDK follows the pages", async () => {
    const client = localTwilio(baseUrl, a.sid, a.token);
    const sids: string[] = [];
    for (let i = 0; i < 7; i++) sids.push((await client.newKeys.create({ friendlyName: `k${i}` })).sid);

    const listed = await client.keys.list({ pageSize: 3 });
    expect(listed.map((k) => k.sid).sort()).toEqual([...sids].sort());

    const first = await call(baseUrl, "GET", `/2010-04-01/Accounts/${a.sid}/Keys.json?PageSize=3`, a);
    expect(first.body).toMatchObject({ page: 0, page_size: 3, start: 0, end: 2, previous_page_uri: null });
    expect(first.body.keys).toHaveLength(3);
    const second = await call(baseUrl, "GET", first.body.next_page_uri, a);
    expect(second.body).toMatchObject({ page: 1, start: 3, end: 5 });
    const third = await call(baseUrl, "GET", second.body.next_page_uri, a);
    expect(third.body.keys).toHaveLength(1);
    expect(third.body.next_page_uri).toBeNull();
    const all = [...first.body.keys, ...second.body.keys, ...third.body.keys].map((k: any) => k.sid);
    expect(new Set(all).size).toBe(7);

    const bogus = await call(baseUrl, "GET", `/2010-04-01/Accounts/${a.sid}/Keys.json?PageToken=garbage`, a);
    expect(bogus.status).toBe(400);
    expectTwilioError(bogus.body, 400, 20001);
  });

  it("answers 401 with Twilio's body for missing, malformed or wrong credentials", async () => {
    const path = `/2010-04-01/Accounts/${a.sid}.json`;
    for (const creds of [
      undefined,
      "nonsense",
      `${a.sid}:wrong`,
      `${a.sid}`,
      `SK00000000000000000000000000000000:x`,
      `${b.sid}:${a.token}`,
    ]) {
      const response = await call(baseUrl, "GET", path, creds);
      expect(response.status, String(creds)).toBe(401);
      expectTwilioError(response.body, 401, 20003);
      expect(response.headers.get("www-authenticate")).toMatch(/^Basic/);
    }
    const sdk = localTwilio(baseUrl, a.sid, "wrong-token");
    await expect(sdk.api.v2010.accounts(a.sid).fetch()).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it("keeps account A's credentials away from everything of account B", async () => {
    const clientB = localTwilio(baseUrl, b.sid, b.token);
    const keyB = await clientB.newKeys.create({ friendlyName: "b" });
    const webhookB = await call(
      baseUrl,
      "POST",
      "/switchboard/v1/Webhooks",
      b,
      form({ Url: "http://127.0.0.1:9/hook" }),
    );
    expect(webhookB.status).toBe(201);
    const eventsB = await call(baseUrl, "GET", "/switchboard/v1/Events", b);
    const eventB = eventsB.body.events[0].sid as string;

    const clientA = localTwilio(baseUrl, a.sid, a.token);
    const keyA = await clientA.newKeys.create({ friendlyName: "a" });
    const asA = [a, `${keyA.sid}:${keyA.secret}`];
    for (const creds of asA) {
      // Paths naming B's account are refused outright...
      for (const [method, path] of [
        ["GET", `/2010-04-01/Accounts/${b.sid}.json`],
        ["GET", `/2010-04-01/Accounts/${b.sid}/Keys.json`],
        ["POST", `/2010-04-01/Accounts/${b.sid}/Keys.json`],
        ["GET", `/2010-04-01/Accounts/${b.sid}/Keys/${keyB.sid}.json`],
        ["POST", `/2010-04-01/Accounts/${b.sid}/Keys/${keyB.sid}.json`],
        ["DELETE", `/2010-04-01/Accounts/${b.sid}/Keys/${keyB.sid}.json`],
      ] as const) {
        const response = await call(
          baseUrl,
          method,
          path,
          creds,
          method === "POST" ? form({ FriendlyName: "x" }) : {},
        );
        expect(response.status, `${method} ${path}`).toBe(403);
        expectTwilioError(response.body, 403, 20403);
      }
      // ...and B's resources are invisible through A's own paths.
      const webhookSid = webhookB.body.sid as string;
      for (const [method, path] of [
        ["GET", `/2010-04-01/Accounts/${a.sid}/Keys/${keyB.sid}.json`],
        ["DELETE", `/2010-04-01/Accounts/${a.sid}/Keys/${keyB.sid}.json`],
        ["GET", `/switchboard/v1/Webhooks/${webhookSid}`],
        ["POST", `/switchboard/v1/Webhooks/${webhookSid}`],
        ["DELETE", `/switchboard/v1/Webhooks/${webhookSid}`],
        ["GET", `/switchboard/v1/Webhooks/${webhookSid}/Deliveries`],
        ["GET", `/switchboard/v1/Events/${eventB}`],
      ] as const) {
        const response = await call(
          baseUrl,
          method,
          path,
          creds,
          method === "POST" ? form({ Status: "disabled" }) : {},
        );
        if (path.includes("Keys") && typeof creds === "string") {
          expect(response.status, `${method} ${path}`).toBe(403); // keys are auth-token only
          continue;
        }
        expect(response.status, `${method} ${path}`).toBe(404);
        expectTwilioError(response.body, 404, 20404);
      }
      const webhooks = await call(baseUrl, "GET", "/switchboard/v1/Webhooks", creds);
      expect(webhooks.body.webhooks).toEqual([]);
      const events = await call(baseUrl, "GET", "/switchboard/v1/Events", creds);
      expect(events.body.events.every((e: any) => e.account_sid === a.sid)).toBe(true);
    }
    // B's things are untouched.
    expect((await clientB.keys(keyB.sid).fetch()).friendlyName).toBe("b");
    const stillB = await call(baseUrl, "GET", `/switchboard/v1/Webhooks/${webhookB.body.sid}`, b);
    expect(stillB.body.status).toBe("active");
  });

  it("answers bad input with 4xx and Twilio's error body, never a 500", async () => {
    const keys = `/2010-04-01/Accounts/${a.sid}/Keys.json`;
    const cases: Array<[string, string, RequestInit, number, number]> = [
      [
        "malformed JSON",
        keys,
        { headers: { "Content-Type": "application/json" }, body: "{not json" },
        400,
        20400,
      ],
      [
        "JSON that is not an object",
        keys,
        { headers: { "Content-Type": "application/json" }, body: "[1,2]" },
        400,
        20001,
      ],
      [
        "plain text body",
        keys,
        { headers: { "Content-Type": "text/plain" }, body: "FriendlyName=x" },
        415,
        20415,
      ],
      ["XML body", keys, { headers: { "Content-Type": "application/xml" }, body: "<a/>" }, 415, 20415],
      ["too long FriendlyName", keys, form({ FriendlyName: "x".repeat(65) }), 400, 20001],
      [
        "repeated scalar parameter",
        keys,
        {
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: "FriendlyName=a&FriendlyName=b",
        },
        400,
        20001,
      ],
      ["webhook without Url", "/switchboard/v1/Webhooks", form({ FriendlyName: "x" }), 400, 20001],
      [
        "webhook with a non-http Url",
        "/switchboard/v1/Webhooks",
        form({ Url: "ftp://example.test/" }),
        400,
        20001,
      ],
      [
        "webhook with a bad event type",
        "/switchboard/v1/Webhooks",
        form({ Url: "http://127.0.0.1:9/", EventTypes: "NOT A TYPE" }),
        400,
        20001,
      ],
      [
        "webhook with an unknown status",
        "/switchboard/v1/Webhooks",
        form({ Url: "http://127.0.0.1:9/", Status: "paused" }),
        400,
        20001,
      ],
      ["oversized body", keys, form({ FriendlyName: "x".repeat(2 * 1024 * 1024) }), 413, 20413],
    ];
    for (const [what, path, init, status, code] of cases) {
      const response = await call(baseUrl, "POST", path, a, init);
      expect(response.status, what).toBe(status);
      expectTwilioError(response.body, status, code);
    }
    const missing = await call(baseUrl, "POST", "/switchboard/v1/Webhooks", a, form({}));
    expect(missing.body.message).toBe("Required parameter Url missing");
    const tooLong = await call(baseUrl, "POST", keys, a, form({ FriendlyName: "x".repeat(65) }));
    expect(tooLong.body.message).toMatch(/^Invalid parameter FriendlyName: /);

    const gets: Array<[string, number, number]> = [
      [`/2010-04-01/Accounts/${a.sid}/Keys/SK00000000000000000000000000000000.json`, 404, 20404],
      [`/2010-04-01/Accounts/${a.sid}/Keys/not-a-sid.json`, 404, 20404],
      ["/switchboard/v1/Webhooks/WH00000000000000000000000000000000", 404, 20404],
      [
        "/switchboard/v1/Webhooks/WH00000000000000000000000000000000/Deliveries/DL00000000000000000000000000000000",
        404,
        20404,
      ],
      ["/switchboard/v1/Events/EV00000000000000000000000000000000", 404, 20404],
      ["/switchboard/v1/Events?StartDate=yesterday", 400, 20001],
      [`${keys}?PageSize=0`, 400, 20001],
      [`${keys}?PageSize=abc`, 400, 20001],
      [`${keys}?PageSize=100000`, 400, 20001],
      ["/no/such/path", 404, 20404],
    ];
    for (const [path, status, code] of gets) {
      const response = await call(baseUrl, "GET", path, a);
      expect(response.status, path).toBe(status);
      expectTwilioError(response.body, status, code);
    }

    // A body cut short mid-stream is a client error too, and the server carries on.
    await new Promise<void>((resolve) => {
      const url = new URL(baseUrl + keys);
      const req = http.request(url, {
        method: "POST",
        headers: {
          Authorization: "Basic " + Buffer.from(`${a.sid}:${a.token}`).toString("base64"),
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": "1000",
        },
      });
      req.on("error", () => resolve());
      req.write("FriendlyName=half");
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const health = await call(baseUrl, "GET", "/healthz");
    expect(health.status).toBe(200);
    // Nothing was created by any of the rejected requests.
    expect((await call(baseUrl, "GET", keys, a)).body.keys).toEqual([]);
  });

  it("serves health, readiness, metrics and the OpenAPI document without credentials", async () => {
    expect((await call(baseUrl, "GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await call(baseUrl, "GET", "/readyz")).body).toEqual({ status: "ready" });
    await call(baseUrl, "GET", `/2010-04-01/Accounts/${a.sid}.json`, a);
    const metrics = await fetch(baseUrl + "/metrics").then((r) => r.text());
    expect(metrics).toContain(
      'switchboard_http_request_duration_seconds_count{method="GET",route="/2010-04-01/Accounts/:AccountSid.json",status_code="200"} 1',
    );
    expect(metrics).toMatch(/switchboard_events_appended_total \d+/);
    const openapi = (await call(baseUrl, "GET", "/openapi.json")).body;
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        "/2010-04-01/Accounts/{AccountSid}/Keys.json",
        "/switchboard/v1/Webhooks",
        "/switchboard/v1/Events",
      ]),
    );
    const createKey = openapi.paths["/2010-04-01/Accounts/{AccountSid}/Keys.json"].post;
    expect(JSON.stringify(createKey.requestBody)).toContain("FriendlyName");
  });

  it("lists the account's event log with filters", async () => {
    const client = localTwilio(baseUrl, a.sid, a.token);
    const key = await client.newKeys.create({ friendlyName: "k" });
    await client.keys(key.sid).remove();
    const all = await call(baseUrl, "GET", "/switchboard/v1/Events", a);
    expect(all.body.events.map((e: any) => e.event_type)).toEqual([
      "api-key.deleted",
      "api-key.created",
      "account.created",
    ]);
    const filtered = await call(
      baseUrl,
      "GET",
      `/switchboard/v1/Events?EventType=api-key.created&ResourceSid=${key.sid}`,
      a,
    );
    expect(filtered.body.events).toHaveLength(1);
    expect(filtered.body.events[0]).toMatchObject({
      resource_sid: key.sid,
      event_data: { FriendlyName: "k", AccountSid: a.sid },
    });
    const paged = await call(baseUrl, "GET", "/switchboard/v1/Events?PageSize=2", a);
    const next = await fetch(paged.body.meta.next_page_url, {
      headers: { Authorization: "Basic " + Buffer.from(`${a.sid}:${a.token}`).toString("base64") },
    }).then((r) => r.json() as Promise<any>);
    expect(next.events.map((e: any) => e.event_type)).toEqual(["account.created"]);
    const fetched = await call(baseUrl, "GET", `/switchboard/v1/Events/${filtered.body.events[0].sid}`, a);
    expect(fetched.body.sid).toBe(filtered.body.events[0].sid);
  });
});

describe("per-account rate limiting", () => {
  it("answers 429 with Retry-After once an account passes its limit, without slowing other accounts", async () => {
    const [sqlite] = dialects();
    const db = await sqlite!.create();
    const { switchboard, baseUrl } = await startServer(db, { SWITCHBOARD_RATE_LIMIT_PER_SECOND: "5" });
    try {
      const a = await switchboard.accounts.create({ friendlyName: "busy" });
      const b = await switchboard.accounts.create({ friendlyName: "quiet" });
      const path = (sid: string) => `/2010-04-01/Accounts/${sid}.json`;
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 8; i++) {
        const response = await call(baseUrl, "GET", path(a.sid), { sid: a.sid, token: a.authToken });
        statuses.push(response.status);
        if (response.status === 429) limited = response;
      }
      expect(statuses.filter((s) => s === 200).length).toBe(5);
      expect(limited).toBeDefined();
      expectTwilioError(limited!.body, 429, 20429);
      expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const other = await call(baseUrl, "GET", path(b.sid), { sid: b.sid, token: b.authToken });
      expect(other.status).toBe(200);
    } finally {
      await switchboard.close();
      await db.drop();
    }
  });
});
