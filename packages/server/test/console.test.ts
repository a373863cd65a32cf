import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../src/demo.ts";
import { apiCalls } from "./support/api.ts";
import { Browser } from "./support/browser.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, startServer } from "./support/server.ts";
import { trigger } from "./support/flows.ts";

/** A two-widget chat flow: greets, waits for the answer, and echoes it back. */
const echoFlow = {
  description: "Echo",
  initial_state: "Trigger",
  states: [
    trigger({ incomingConversationMessage: "greeting" }),
    {
      name: "greeting",
      type: "send-and-wait-for-reply",
      transitions: [
        { event: "incomingMessage", next: "echo" },
        { event: "timeout" },
        { event: "deliveryFailure" },
      ],
      properties: { from: "{{flow.channel.address}}", body: "Hello! What is it about?", timeout: "3600" },
    },
    {
      name: "echo",
      type: "send-message",
      transitions: [{ event: "sent" }, { event: "failed" }],
      properties: {
        from: "{{flow.channel.address}}",
        to: "{{contact.channel.address}}",
        body: "You said: {{widgets.greeting.inbound.Body}}",
      },
    },
  ],
};

describe.each(dialects())("the admin console's API on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  let receiver: WebhookReceiver;
  const api = apiCalls(
    () => baseUrl,
    () => ({ sid: demo.accountSid, token: demo.authToken }),
  );

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    receiver = await new WebhookReceiver().start();
    ({ switchboard, baseUrl } = await startServer(db, { SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: "1" }));
    demo = await ensureDemo(switchboard);
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await receiver.stop();
    await db.drop();
  });

  it("keeps each person's language, which they set themselves", async () => {
    const alice = new Browser(baseUrl);
    await alice.signIn("alice@switchboard.demo");
    expect((await alice.call("GET", "/switchboard/v1/Me")).body.language).toBeNull();
    expect((await alice.call("POST", "/switchboard/v1/Me", { Language: "fr" })).body.language).toBe("fr");
    expect((await alice.call("GET", "/switchboard/v1/Me")).body.language).toBe("fr");
    const refused = await alice.call("POST", "/switchboard/v1/Me", { Language: "xx" });
    expect(refused.status).toBe(400);
    expect((await alice.call("GET", "/switchboard/v1/Me")).body.language).toBe("fr");
    expect((await alice.call("POST", "/switchboard/v1/Me", { Language: "" })).body.language).toBeNull();
  });

  it("routes a sample task through a saved workflow or an unsaved configuration, creating nothing", async () => {
    const admin = new Browser(baseUrl);
    await admin.signIn("admin@switchboard.demo");
    const path = `/switchboard/v1/Workspaces/${demo.workspaceSid}/RoutingSamples`;
    const saved = await admin.call("POST", path, {
      WorkflowSid: demo.workflowSid,
      Attributes: JSON.stringify({ type: "billing" }),
      TaskChannel: "chat",
    });
    expect(saved.status).toBe(200);
    const billing = saved.body.filters.find((f: { matches: boolean }) => f.matches);
    expect(saved.body.filter).toBe(billing.index);
    expect(saved.body.steps[0].task_queue_friendly_name).toBe("Billing");
    // The demo's agents start offline: each billing agent is a candidate, none is ready.
    const names = saved.body.steps[0].candidates.map((c: { worker_name: string }) => c.worker_name);
    expect(names.sort()).toEqual(["bob", "dmitri", "erin"]);
    expect(new Set(saved.body.steps[0].candidates.map((c: { verdict: string }) => c.verdict))).toEqual(
      new Set(["unavailable"]),
    );
    expect(saved.body.steps[0].offer_to).toEqual([]);

    const queues = await api.get(`/v1/Workspaces/${demo.workspaceSid}/TaskQueues?FriendlyName=Everyone`);
    const everyone = queues.body.task_queues[0].sid;
    const draft = {
      task_routing: { filters: [{ expression: "vip == true", targets: [{ queue: everyone }] }] },
    };
    const unsaved = await admin.call("POST", path, {
      Configuration: JSON.stringify(draft),
      Attributes: JSON.stringify({ vip: true }),
    });
    expect(unsaved.body.steps[0].candidates).toHaveLength(5);
    const broken = await admin.call("POST", path, {
      Configuration: JSON.stringify({ task_routing: { filters: [{ expression: "vip ==", targets: [] }] } }),
      Attributes: "{}",
    });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toContain("task_routing.filters[0].expression");

    const agent = new Browser(baseUrl);
    await agent.signIn("alice@switchboard.demo");
    expect((await agent.call("POST", path, { WorkflowSid: demo.workflowSid, Attributes: "{}" })).status).toBe(
      403,
    );
    const tasks = await api.get(`/v1/Workspaces/${demo.workspaceSid}/Tasks`);
    expect(tasks.body.tasks).toEqual([]);
  });

  it("test-runs a flow's draft in a chat conversation, and refuses a draft with errors", async () => {
    const flow = await api.post("/v2/Flows", {
      FriendlyName: "Echo",
      Status: "draft",
      Definition: JSON.stringify(echoFlow),
    });
    expect(flow.status).toBe(201);
    const admin = new Browser(baseUrl);
    await admin.signIn("admin@switchboard.demo");
    const run = await admin.call("POST", `/switchboard/v1/Flows/${flow.body.sid}/TestRuns`);
    expect(run.status).toBe(201);
    const { conversation_sid: conversation, identity } = run.body;
    const messages = async () =>
      (await admin.call("GET", `/v1/Conversations/${conversation}/Messages`)).body.messages.map(
        (m: { author: string; body: string }) => `${m.author === identity ? "tester" : "flow"}: ${m.body}`,
      );
    const say = (body: string) =>
      admin.call("POST", `/v1/Conversations/${conversation}/Messages`, { Author: identity, Body: body });
    expect((await say("hi")).status).toBe(201);
    await eventually(async () => ((await messages()).length >= 2 ? true : undefined), 10_000, "greeting");
    await say("my bill");
    const transcript = await eventually(
      async () => ((await messages()).length >= 4 ? messages() : undefined),
      10_000,
      "echo",
    );
    expect(transcript).toEqual([
      "tester: hi",
      "flow: Hello! What is it about?",
      "tester: my bill",
      "flow: You said: my bill",
    ]);
    // The draft was never published: only the test run could run it.
    expect((await api.get(`/v2/Flows/${flow.body.sid}`)).body.status).toBe("draft");

    const broken = { ...echoFlow, states: [echoFlow.states[0], { ...echoFlow.states[1], properties: {} }] };
    await api.post(`/v2/Flows/${flow.body.sid}`, { Status: "draft", Definition: JSON.stringify(broken) });
    const refused = await admin.call("POST", `/switchboard/v1/Flows/${flow.body.sid}/TestRuns`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("errors");
  });

  it("replays a webhook delivery that died, keeping its attempt log", async () => {
    receiver.behave = () => ({ status: 500 });
    const hook = await api.post("/switchboard/v1/Webhooks", {
      Url: receiver.url,
      EventTypes: "api-key.created",
    });
    await api.post(`/2010-04-01/Accounts/${demo.accountSid}/Keys.json`, { FriendlyName: "ci" });
    const deliveries = `/switchboard/v1/Webhooks/${hook.body.sid}/Deliveries`;
    const dead = await eventually(
      async () =>
        (await api.get(deliveries)).body.deliveries.find((d: { status: string }) => d.status === "dead"),
      10_000,
      "a dead delivery",
    );
    receiver.behave = () => ({ status: 200 });
    const replayed = await api.post(`${deliveries}/${dead.sid}/Replay`, {});
    expect(replayed.status).toBe(200);
    expect(replayed.body.status).toBe("queued");
    await eventually(
      async () =>
        (await api.get(`${deliveries}/${dead.sid}`)).body.status === "delivered" ? true : undefined,
      10_000,
      "the replay delivered",
    );
    const attempts = await api.get(`${deliveries}/${dead.sid}/Attempts`);
    expect(attempts.body.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
    expect(receiver.received).toHaveLength(2);
    expect((await api.post(`${deliveries}/DL${"0".repeat(32)}/Replay`, {})).status).toBe(404);
  });

  it("serves desktop plugins from the plugin directory and lists only those in the settings", async () => {
    const plugin = await fetch(`${baseUrl}/plugins/accept-checklist/index.js`);
    expect(plugin.status).toBe(200);
    expect(plugin.headers.get("content-type")).toMatch(/javascript/);
    expect(plugin.headers.get("cache-control")).toBe("no-cache");
    expect(await plugin.text()).toContain("beforeAcceptTask");

    const admin = new Browser(baseUrl);
    await admin.signIn("admin@switchboard.demo");
    const settings = (await admin.call("GET", "/switchboard/v1/Desktop/Settings")).body;
    expect(settings.plugins).toEqual([]);
    const put = (plugins: string[]) =>
      fetch(`${baseUrl}/switchboard/v1/Desktop/Settings`, {
        method: "POST",
        headers: { Cookie: admin.cookie, Origin: baseUrl, "Content-Type": "application/json" },
        body: JSON.stringify({ ...settings, plugins }),
      });
    expect((await put(["https://elsewhere.example/plugin.js"])).status).toBe(400);
    expect((await put(["/plugins/../secret.js"])).status).toBe(400);
    expect((await put(["/plugins/accept-checklist/index.js"])).status).toBe(200);
    const agent = new Browser(baseUrl);
    await agent.signIn("alice@switchboard.demo");
    expect((await agent.call("GET", "/switchboard/v1/Desktop")).body.settings.plugins).toEqual([
      "/plugins/accept-checklist/index.js",
    ]);
  });
});
