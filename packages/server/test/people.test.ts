import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../src/demo.ts";
import { Browser } from "./support/browser.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { Visitor } from "./support/visitor.ts";

describe.each(dialects())("people and the desktop API on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  const clock = new SkippingClock();
  const basic = () => `Basic ${Buffer.from(`${demo.accountSid}:${demo.authToken}`).toString("base64")}`;

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    clock.skipMs = 0;
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db, {}, clock));
    demo = await ensureDemo(switchboard);
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await db.drop();
  });

  it("signs people in with an HttpOnly cookie, refuses bad passwords alike, and ends sessions", async () => {
    const browser = new Browser(baseUrl);
    const wrong = await browser.signIn("alice@switchboard.demo", "not-the-password");
    const unknown = await browser.signIn("nobody@switchboard.demo");
    expect(wrong.status).toBe(401);
    expect(unknown.body.message).toBe(wrong.body.message);

    const signedIn = await browser.signIn("Alice@Switchboard.demo");
    expect(signedIn.status).toBe(200);
    expect(signedIn.setCookie).toMatch(/HttpOnly/i);
    expect(signedIn.setCookie).toMatch(/SameSite=Strict/i);
    expect(signedIn.body).toMatchObject({ role: "agent", worker_sid: demo.agents[0]!.sid });
    expect((await browser.call("GET", "/switchboard/v1/Me")).body.email).toBe("alice@switchboard.demo");

    // Sessions expire: twelve hours later the cookie opens nothing.
    clock.skipMs = 12 * 3_600_000 + 1_000;
    expect((await browser.call("GET", "/switchboard/v1/Me")).status).toBe(401);
    clock.skipMs = 0;

    const second = await browser.signIn("alice@switchboard.demo");
    expect((await browser.call("POST", "/switchboard/v1/SignOut")).status).toBe(204);
    browser.cookie = second.setCookie!.split(";")[0]!;
    expect((await browser.call("GET", "/switchboard/v1/Me")).status).toBe(401);
  });

  it("lets each role reach only its routes, and only from our own pages", async () => {
    const agent = new Browser(baseUrl);
    await agent.signIn("alice@switchboard.demo");
    const workspace = `/v1/Workspaces/${demo.workspaceSid}`;
    expect((await agent.call("GET", `${workspace}/Workers`)).status).toBe(403);
    expect((await agent.call("GET", "/switchboard/v1/Desktop/Team")).status).toBe(403);
    expect((await agent.call("GET", "/switchboard/v1/Users")).status).toBe(403);
    expect((await agent.call("GET", "/switchboard/v1/Desktop")).status).toBe(200);
    // A cookie sent along by another site's form changes nothing.
    const available = { ActivitySid: demo.availableActivitySid };
    const forged = await agent.call(
      "POST",
      "/switchboard/v1/Desktop/Activity",
      available,
      "https://evil.example",
    );
    expect(forged.status).toBe(403);
    expect(
      switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.routing.worker(demo.agents[0]!.sid)!
        .available,
    ).toBe(false);

    const supervisor = new Browser(baseUrl);
    await supervisor.signIn("grace@switchboard.demo");
    expect((await supervisor.call("GET", `${workspace}/Workers`)).status).toBe(200);
    expect((await supervisor.call("GET", "/switchboard/v1/Desktop/Team")).body.workers).toHaveLength(5);
    expect((await supervisor.call("GET", `/2010-04-01/Accounts/${demo.accountSid}/Keys.json`)).status).toBe(
      403,
    );
    expect((await supervisor.call("GET", "/switchboard/v1/Users")).status).toBe(403);

    const admin = new Browser(baseUrl);
    await admin.signIn("admin@switchboard.demo");
    expect((await admin.call("GET", "/switchboard/v1/Users")).body.users).toHaveLength(7);
  });

  it("invites a person, who sets a password and signs in; deactivating them ends their sessions", async () => {
    const admin = new Browser(baseUrl);
    await admin.signIn("admin@switchboard.demo");
    const invited = await admin.call("POST", "/switchboard/v1/Users", {
      Email: "frank@switchboard.demo",
      FriendlyName: "Frank",
      Role: "agent",
    });
    expect(invited.status).toBe(201);
    expect(invited.body.status).toBe("invited");
    const token = new URL(invited.body.invite_url as string).hash.slice(1);
    const again = await admin.call("POST", "/switchboard/v1/Users", {
      Email: "FRANK@switchboard.demo",
      FriendlyName: "F",
      Role: "agent",
    });
    expect(again.status).toBe(409);

    const frank = new Browser(baseUrl);
    expect((await frank.signIn("frank@switchboard.demo", "anything-at-all")).status).toBe(401);
    expect((await frank.call("GET", `/switchboard/v1/Invites/${token}`)).body.email).toBe(
      "frank@switchboard.demo",
    );
    expect((await frank.call("POST", `/switchboard/v1/Invites/${token}`, { Password: "short" })).status).toBe(
      400,
    );
    const accepted = await frank.call("POST", `/switchboard/v1/Invites/${token}`, {
      Password: "frank-password-1",
    });
    expect(accepted.body).toMatchObject({ email: "frank@switchboard.demo", status: "active" });
    expect((await frank.call("GET", "/switchboard/v1/Me")).status).toBe(200);
    expect(
      (
        await new Browser(baseUrl).call("POST", `/switchboard/v1/Invites/${token}`, {
          Password: "another-password",
        })
      ).status,
    ).toBe(404);

    await admin.call("POST", `/switchboard/v1/Users/${invited.body.sid}`, { Status: "deactivated" });
    expect((await frank.call("GET", "/switchboard/v1/Me")).status).toBe(401);
    expect((await frank.signIn("frank@switchboard.demo", "frank-password-1")).status).toBe(401);

    // Account credentials manage people too (how the first admin of a new account is made).
    const created = await fetch(`${baseUrl}/switchboard/v1/Users`, {
      method: "POST",
      headers: { Authorization: basic(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        Email: "ops@switchboard.demo",
        FriendlyName: "Ops",
        Role: "admin",
        Password: "ops-password-1",
      }),
    });
    expect(created.status).toBe(201);
    expect((await new Browser(baseUrl).signIn("ops@switchboard.demo", "ops-password-1")).status).toBe(200);
  });

  it("runs a chat from the desktop: estimated wait, accept, reply once per ClientId, transfer, wrap-up with a disposition", async () => {
    const engine = () => switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.routing;
    const session = (await (
      await fetch(`${baseUrl}/switchboard/v1/WebChat/Sessions`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          AccountSid: demo.accountSid,
          Address: demo.chatAddress,
          FriendlyName: "Dana",
        }),
      })
    ).json()) as any;
    const visitor = await Visitor.open(session.socket_url);
    visitor.send({ type: "message", body: "Hello", client_id: "v1" });
    const wait = () =>
      fetch(`${baseUrl}/switchboard/v1/WebChat/Wait`, {
        headers: { Authorization: `Bearer ${session.token}` },
      }).then((r) => r.json() as Promise<any>);
    // Nobody is available: the customer is first in line, with no estimate while nobody is staffed.
    const line = await eventually(async () => {
      const answer = await wait();
      return answer.status === "waiting" ? answer : undefined;
    });
    expect(line).toMatchObject({ ahead: 0, estimated_wait_seconds: null, basis: "unstaffed" });

    const alice = new Browser(baseUrl);
    await alice.signIn("alice@switchboard.demo");
    await alice.call("POST", "/switchboard/v1/Desktop/Activity", { ActivitySid: demo.availableActivitySid });
    const offered = await eventually(
      async () => (await alice.call("GET", "/switchboard/v1/Desktop/Tasks")).body.tasks[0],
    );
    expect(offered).toMatchObject({
      reservation_status: "pending",
      task_channel: "chat",
      queue_name: "Everyone",
    });
    await alice.call("POST", `/switchboard/v1/Desktop/Reservations/${offered.reservation_sid}`, {
      ReservationStatus: "accepted",
    });
    expect((await wait()).status).toBe("none");

    const path = `/switchboard/v1/Desktop/Conversations/${offered.conversation_sid}/Messages`;
    const first = await alice.call("POST", path, { Body: "Hi Dana", ClientId: "m1" });
    const resent = await alice.call("POST", path, { Body: "Hi Dana", ClientId: "m1" });
    expect([first.status, resent.status]).toEqual([201, 200]);
    expect(resent.body.sid).toBe(first.body.sid);
    const read = await alice.call("GET", path);
    expect(read.body.messages.map((m: { author: string; body: string }) => `${m.author}: ${m.body}`)).toEqual(
      [`${session.identity}: Hello`, "alice: Hi Dana"],
    );
    await visitor.until((v) => (v.messages().includes("1 alice: Hi Dana") ? true : undefined), "the reply");

    // Another agent cannot touch Alice's task or conversation.
    const bob = new Browser(baseUrl);
    await bob.signIn("bob@switchboard.demo");
    expect((await bob.call("GET", path)).status).toBe(404);
    expect(
      (
        await bob.call("POST", `/switchboard/v1/Desktop/Tasks/${offered.task_sid}`, {
          AssignmentStatus: "completed",
        })
      ).status,
    ).toBe(404);

    // Transfer to the Billing queue with a note: Bob (billing) is offered the new task.
    await bob.call("POST", "/switchboard/v1/Desktop/Activity", { ActivitySid: demo.availableActivitySid });
    const billing = [
      ...switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.catalog.queues.values(),
    ].find((q) => q.record.friendlyName === "Billing")!.record.sid;
    const transfer = await alice.call("POST", `/switchboard/v1/Desktop/Tasks/${offered.task_sid}/Transfer`, {
      To: billing,
      Note: "invoice question",
    });
    expect(transfer.status).toBe(201);
    const bobs = await eventually(
      async () => (await bob.call("GET", "/switchboard/v1/Desktop/Tasks")).body.tasks[0],
    );
    expect(bobs.task_attributes.transfer).toEqual({ from: "alice", note: "invoice question" });
    await bob.call("POST", `/switchboard/v1/Desktop/Reservations/${bobs.reservation_sid}`, {
      ReservationStatus: "accepted",
    });
    // Accepting the transfer wraps Alice's task up; she completes it with a disposition code.
    await eventually(() => (engine().task(offered.task_sid)?.status === "wrapping" ? true : undefined));
    const refused = await alice.call("POST", `/switchboard/v1/Desktop/Tasks/${offered.task_sid}`, {
      AssignmentStatus: "completed",
      Disposition: "Whatever",
    });
    expect(refused.status).toBe(400);
    await alice.call("POST", `/switchboard/v1/Desktop/Tasks/${offered.task_sid}`, {
      AssignmentStatus: "completed",
      Disposition: "Escalated",
    });
    expect(engine().task(offered.task_sid)).toMatchObject({
      status: "completed",
      attributes: { disposition: "Escalated" },
    });
    await visitor.close();
  });

  it("lets a supervisor edit an agent's skills and channel capacity", async () => {
    const grace = new Browser(baseUrl);
    await grace.signIn("grace@switchboard.demo");
    const dmitri = demo.agents.find((a) => a.name === "dmitri")!;
    const edited = await grace.call("POST", `/switchboard/v1/Desktop/Workers/${dmitri.sid}`, {
      Attributes: JSON.stringify({ skills: ["billing", "support"], languages: ["en"], level: 1 }),
      Capacity: ["chat=5"],
    });
    expect(edited.status).toBe(200);
    expect(edited.body.channels.find((c: { unique_name: string }) => c.unique_name === "chat").capacity).toBe(
      5,
    );
    const support = [
      ...switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.catalog.queues.values(),
    ].find((q) => q.record.friendlyName === "Support")!.record.sid;
    expect(
      switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.routing.queueMembers(support),
    ).toContain(dmitri.sid);
    const bad = await grace.call("POST", `/switchboard/v1/Desktop/Workers/${dmitri.sid}`, {
      Capacity: ["chat=lots"],
    });
    expect(bad.status).toBe(400);
  });
});
