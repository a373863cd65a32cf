import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { deflectionFlow, trigger } from "./support/flows.ts";
import { SmsProvider } from "./support/sms-provider.ts";
import { localTwilio } from "./support/twilio-client.ts";
import { Visitor } from "./support/visitor.ts";

type Client = ReturnType<typeof localTwilio>;

/** The SDK's error for a refused request, with Twilio's code, status and details. */
async function refusal(work: Promise<unknown>) {
  try {
    await work;
  } catch (error) {
    return error as { status: number; code: number; message: string; details: unknown };
  }
  throw new Error("expected the request to be refused");
}

const OUR_NUMBER = "+15550001111";
const CUSTOMER = "+15557654321";
const FIXTURES = path.join(import.meta.dirname, "../../engine/src/flows/fixtures");

describe.each(dialects())("Flows on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let client: Client;
  let provider: SmsProvider;
  let receiver: WebhookReceiver;
  let clock: SkippingClock;
  const { post, get } = apiCalls(
    () => baseUrl,
    () => account,
  );

  const start = async () => {
    ({ switchboard, baseUrl } = await startServer(db, {}, clock));
    client = localTwilio(baseUrl, account.sid, account.token);
  };

  /** An upstream SMS provider for our number. */
  const connect = async () => {
    const created = await post("/switchboard/v1/Messaging/Providers", provider.resourceParams(OUR_NUMBER));
    expect(created.status).toBe(201);
    const inbound = new URL(created.body.inbound_url as string);
    // The path stays; the server's port changes when it restarts.
    return { toString: () => baseUrl + inbound.pathname };
  };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    clock = new SkippingClock();
    ({ switchboard, baseUrl } = await startServer(db, {}, clock));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    client = localTwilio(baseUrl, account.sid, account.token);
    provider = await new SmsProvider().start();
    receiver = await new WebhookReceiver().start();
  });

  afterEach(async () => {
    if (unavailable) return;
    await receiver.stop();
    await provider.stop();
    await switchboard.close();
    await db.drop();
  });

  it("keeps flows with revisions, validates definitions with property paths, and imports real exports unchanged", async () => {
    const flows = client.studio.v2.flows;
    const schedule = fs
      .readFileSync(path.join(FIXTURES, "template_example_schedule_flow.json"), "utf8")
      .replace(/\$\{[A-Z_]+\}/g, (name) =>
        name === "${WORKFLOW_SID}" ? "WW00000000000000000000000000000001" : "example",
      );
    const created = await flows.create({
      friendlyName: "Open hours",
      status: "published",
      definition: JSON.parse(schedule) as object,
      commitMessage: "Imported",
    });
    expect(created).toMatchObject({
      sid: expect.stringMatching(/^FW[0-9a-f]{32}$/),
      friendlyName: "Open hours",
      status: "published",
      revision: 1,
      valid: true,
      errors: [],
      commitMessage: "Imported",
    });
    expect(created.definition).toEqual(JSON.parse(schedule));
    expect(created.links.executions).toBe(`${created.url}/Executions`);

    // Each save is a revision; a draft may be invalid (it says why), a published flow may not.
    const broken = { ...JSON.parse(schedule), initial_state: "Nowhere" };
    const draft = await flows(created.sid).update({
      status: "draft",
      definition: broken,
      commitMessage: "WIP",
    });
    expect(draft).toMatchObject({ revision: 2, status: "draft", valid: false });
    expect(draft.errors).toEqual([
      { message: "initial_state must name a widget of the flow", property_path: "#/initial_state" },
    ]);
    const refused = await refusal(flows(created.sid).update({ status: "published", definition: broken }));
    expect(refused).toMatchObject({ status: 400, code: 20001 });
    expect(refused.details).toMatchObject({ errors: [{ property_path: "#/initial_state" }] });

    // The SDK's revision list cannot build its instances (it reads a revision its page never
    // passes), so the list is read as JSON.
    const revisions = (await get(`/v2/Flows/${created.sid}/Revisions`)).body.revisions as Array<
      Record<string, unknown>
    >;
    expect(revisions.map((r) => [r.revision, r.status, r.valid])).toEqual([
      [2, "draft", false],
      [1, "published", true],
    ]);
    expect((await flows(created.sid).revisions("LatestPublished").fetch()).revision).toBe(1);
    expect((await flows(created.sid).revisions("LatestRevision").fetch()).revision).toBe(2);

    expect(
      (
        await client.studio.v2.flowValidate.update({
          friendlyName: "x",
          status: "draft",
          definition: JSON.parse(schedule) as object,
        })
      ).valid,
    ).toBe(true);
    const invalid = await refusal(
      client.studio.v2.flowValidate.update({
        friendlyName: "x",
        status: "draft",
        definition: { initial_state: "Trigger", states: [trigger({ incomingRequest: "gone" })] },
      }),
    );
    expect(invalid).toMatchObject({ status: 400 });
    expect(invalid.details).toMatchObject({
      errors: [{ property_path: "#/states/0/transitions/3/next", message: "No widget is named gone" }],
    });

    const testUsers = await flows(created.sid)
      .testUsers()
      .update({ testUsers: [CUSTOMER] });
    expect(testUsers.testUsers).toEqual([CUSTOMER]);

    // Every real export validates.
    for (const file of fs.readdirSync(FIXTURES).filter((name) => name.endsWith(".json"))) {
      const definition = JSON.parse(
        fs
          .readFileSync(path.join(FIXTURES, file), "utf8")
          .replace(/\$\{[A-Z_]+\}/g, "WW00000000000000000000000000000001"),
      ) as object;
      expect(
        (await client.studio.v2.flowValidate.update({ friendlyName: file, status: "published", definition }))
          .valid,
      ).toBe(true);
    }

    // Another account sees none of it.
    const other = await switchboard.accounts.create({ friendlyName: "Other" });
    const stranger = localTwilio(baseUrl, other.sid, other.authToken);
    expect(await stranger.studio.v2.flows.list()).toEqual([]);
    await expect(stranger.studio.v2.flows(created.sid).fetch()).rejects.toMatchObject({ status: 404 });

    await flows(created.sid).remove();
    expect(await flows.list()).toEqual([]);
  });

  it("deflects an IVR caller to SMS: the REST trigger texts them, their answer reaches a Support agent who replies in the thread", async () => {
    const inboundUrl = await connect();
    const { ws, workflow, alice } = await supportDesk(client, 120, "deflectedFrom == 'ivr'");
    const flow = await client.studio.v2.flows.create({
      friendlyName: "IVR deflection",
      status: "published",
      definition: deflectionFlow(workflow.sid),
    });

    // The IVR caller pressed 1: the IVR starts the flow as any external IVR would.
    const execution = await client.studio.v2.flows(flow.sid).executions.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      parameters: { name: "Ada" },
    });
    expect(execution).toMatchObject({
      sid: expect.stringMatching(/^FN[0-9a-f]{32}$/),
      contactChannelAddress: CUSTOMER,
      status: "active",
      flowVersion: 1,
    });
    // One execution per contact at a time.
    await expect(
      client.studio.v2.flows(flow.sid).executions.create({ to: CUSTOMER, from: OUR_NUMBER }),
    ).rejects.toMatchObject({ status: 409 });

    const text = await eventually(() => provider.submitted.at(0), 10_000, "the text to the caller");
    expect(text.params).toMatchObject({
      To: CUSTOMER,
      From: OUR_NUMBER,
      Body: "Thank you for choosing to connect with us via SMS, Ada. In a few words, how can we help?",
    });

    // The caller answers by text; the flow hands the conversation to Support with the answer.
    await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, "My order 1234 never arrived");
    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the Support task");
    const attributes = JSON.parse(task.attributes) as Record<string, string>;
    expect(attributes).toMatchObject({
      deflectedFrom: "ivr",
      name: "Ada",
      reason: "My order 1234 never arrived",
      channelType: "sms",
      customerAddress: CUSTOMER,
      conversationSid: expect.stringMatching(/^CH[0-9a-f]{32}$/),
    });
    expect(task.taskChannelUniqueName).toBe("sms");

    const ended = await eventually(async () => {
      const fetched = await client.studio.v2.flows(flow.sid).executions(execution.sid).fetch();
      return fetched.status === "ended" ? fetched : undefined;
    });
    expect(ended.context).toMatchObject({
      flow: { data: { name: "Ada" }, channel: { address: OUR_NUMBER } },
      contact: { channel: { address: CUSTOMER } },
      widgets: { ask: { inbound: { Body: "My order 1234 never arrived" } }, to_agent: { sid: task.sid } },
    });
    const steps = await client.studio.v2.flows(flow.sid).executions(execution.sid).steps.list();
    expect(steps.map((s) => [s.transitionedFrom, s.name, s.transitionedTo])).toEqual([
      ["Trigger", "incomingRequest", "ask"],
      ["ask", "incomingMessage", "to_agent"],
      ["to_agent", "callComplete", "Ended"],
    ]);
    const stepContext = await client.studio.v2
      .flows(flow.sid)
      .executions(execution.sid)
      .steps(steps[2]!.sid)
      .stepContext()
      .fetch();
    expect(stepContext.context).toMatchObject({ sid: task.sid });

    // The agent accepts and answers in the same thread: it leaves by SMS from our number.
    const [reservation] = await eventually(async () => {
      const listed = await ws.tasks(task.sid).reservations.list();
      return listed.length > 0 ? listed : undefined;
    });
    expect(reservation!.workerSid).toBe(alice.sid);
    await ws.tasks(task.sid).reservations(reservation!.sid).update({ reservationStatus: "accepted" });
    const conversation = client.conversations.v1.conversations(attributes.conversationSid!);
    await conversation.participants.create({ identity: "alice" });
    await conversation.messages.create({ author: "alice", body: "So sorry! Sending a new one today." });
    const reply = await eventually(() => provider.submitted.at(1), 10_000, "the agent's reply");
    expect(reply.params).toMatchObject({
      To: CUSTOMER,
      From: OUR_NUMBER,
      Body: "So sorry! Sending a new one today.",
    });
    expect((await conversation.messages.list()).map((m) => [m.author, m.body])).toEqual([
      [
        OUR_NUMBER,
        "Thank you for choosing to connect with us via SMS, Ada. In a few words, how can we help?",
      ],
      [CUSTOMER, "My order 1234 never arrived"],
      ["alice", "So sorry! Sending a new one today."],
    ]);
    // Handed over: the customer's next text goes to the agent, not to a new execution.
    await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, "Thanks!");
    await eventually(async () => ((await conversation.messages.list()).length === 4 ? true : undefined));
    expect(await client.studio.v2.flows(flow.sid).executions.list()).toHaveLength(1);
  });

  it("keeps an execution waiting for a reply across a restart, and times it out when nobody answers", async () => {
    const inboundUrl = await connect();
    const { workspace, workflow } = await supportDesk(client, 120, "deflectedFrom == 'ivr'");
    const flow = await client.studio.v2.flows.create({
      friendlyName: "IVR deflection",
      status: "published",
      definition: deflectionFlow(workflow.sid),
    });
    // Through the client of the server running now (its port changes on restart).
    const execution = (sid: string) => client.studio.v2.flows(flow.sid).executions(sid);
    const waiting = await client.studio.v2
      .flows(flow.sid)
      .executions.create({ to: CUSTOMER, from: OUR_NUMBER });
    const silent = await client.studio.v2
      .flows(flow.sid)
      .executions.create({ to: "+15550009999", from: OUR_NUMBER });
    await eventually(() => provider.submitted.at(1), 10_000, "both texts");

    await switchboard.close();
    await start();
    await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, "Still here after your restart");
    const ws = client.taskrouter.v1.workspaces(workspace.sid);
    const task = await eventually(
      async () => (await ws.tasks.list()).at(0),
      10_000,
      "the task after the restart",
    );
    expect(JSON.parse(task.attributes)).toMatchObject({ reason: "Still here after your restart" });
    // The task shows in the routing engine a moment before the commit that also ends the execution.
    await eventually(async () =>
      (await execution(waiting.sid).fetch()).status === "ended" ? true : undefined,
    );

    // An hour later the other caller has not answered: the flow says goodbye and ends.
    clock.skipMs = 3_600_000;
    const goodbye = await eventually(
      () => provider.submitted.find((m) => m.params.Body === "We did not hear back. Call us any time."),
      10_000,
      "the goodbye",
    );
    expect(goodbye.params.To).toBe("+15550009999");
    await eventually(async () =>
      (await execution(silent.sid).fetch()).status === "ended" ? true : undefined,
    );
    const steps = await execution(silent.sid).steps.list();
    expect(steps.map((s) => s.name)).toEqual(["incomingRequest", "timeout", "sent"]);
  });

  it("runs the real web chat export for customers who text an address bound to it, through to an agent", async () => {
    const inboundUrl = await connect();
    const { ws, workflow } = await supportDesk(client, 120, "name == 'Ada Lovelace'");
    // The export names its own workspace's workflow and channel: ours take their place.
    const definition = JSON.parse(
      fs
        .readFileSync(path.join(FIXTURES, "twilio-webchat-react-app_studio-flow.json"), "utf8")
        .replace("WWd8cd0445d2df474f0744283a8cac96b7", workflow.sid)
        .replace("TC97cc0cbcd14e9f3a5f7f2b9668ae8cdd", "sms"),
    ) as object;
    const flow = await client.studio.v2.flows.create({
      friendlyName: "Web chat intake",
      status: "published",
      definition,
    });
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "sms",
        Address: OUR_NUMBER,
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": flow.sid,
      }),
    ).toMatchObject({ status: 201 });

    const said: string[] = [];
    const expectText = async (body: string) => {
      const message = await eventually(() => provider.submitted.at(said.length), 10_000, `"${body}"`);
      said.push(String(message.params.Body));
      expect(message.params).toMatchObject({ To: CUSTOMER, From: OUR_NUMBER, Body: body });
    };
    await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, "Hello");
    await expectText("Hello! In order for us to assist you today, please answer a few questions.");
    await expectText("Please select a reason for your visit today from the following options:");
    for (const [answer, next] of [
      ["parking", "Are you a new or existing patient?"],
      ["New", "Please enter your first name."],
      ["Ada", "Please enter your last name."],
      ["Lovelace", "Please enter your date of birth (YYYY-mm-dd)."],
      [
        "1815-12-10",
        "Thank you! Please hold on for just a few moments while I connect you with someone who can help.",
      ],
    ] as const) {
      await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, answer);
      await expectText(next);
    }
    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the task");
    expect(JSON.parse(task.attributes)).toMatchObject({
      name: "Ada Lovelace",
      dob: "1815-12-10",
      channelType: "sms",
      from: CUSTOMER,
    });
    const [execution] = await eventually(async () => {
      const listed = await client.studio.v2.flows(flow.sid).executions.list();
      return listed[0]?.status === "ended" ? listed : undefined;
    });
    expect(execution).toMatchObject({ status: "ended", contactChannelAddress: CUSTOMER });
  });

  it("greets a web chat visitor from a flow bound to the widget, and hands the chat to an agent with the pre-chat answers", async () => {
    const { ws, workflow } = await supportDesk(client, 120, "channelType == 'chat'");
    const flow = await client.studio.v2.flows.create({
      friendlyName: "Chat intake",
      status: "published",
      definition: {
        initial_state: "Trigger",
        states: [
          trigger({ incomingConversationMessage: "order" }),
          {
            name: "order",
            type: "send-and-wait-for-reply",
            transitions: [
              { event: "incomingMessage", next: "agent" },
              { event: "timeout" },
              { event: "deliveryFailure" },
            ],
            properties: {
              from: "Acme Bot",
              body: "Hi {{trigger.conversation.ChannelAttributes.customerName}}! Your order number?",
              timeout: "600",
            },
          },
          {
            name: "agent",
            type: "send-to-flex",
            transitions: [{ event: "callComplete" }, { event: "failedToEnqueue" }],
            properties: {
              workflow: workflow.sid,
              channel: "chat",
              attributes: JSON.stringify({
                order: "{{widgets.order.inbound.Body}}",
                topic: "{{trigger.conversation.ChannelAttributes.pre_engagement_data.topic}}",
                firstMessage: "{{trigger.conversation.Body}}",
              }),
            },
          },
        ],
      },
    });
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "chat",
        Address: "support-widget",
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": flow.sid,
      }),
    ).toMatchObject({ status: 201 });

    const session = await post(
      "/switchboard/v1/WebChat/Sessions",
      {
        AccountSid: account.sid,
        Address: "support-widget",
        FriendlyName: "Ada",
        Attributes: JSON.stringify({ topic: "billing" }),
      },
      false,
    );
    const visitor = await Visitor.open(session.body.socket_url as string);
    try {
      visitor.send({ type: "message", body: "I need help", client_id: "c1" });
      await visitor.until((v) => (v.messages().length >= 2 ? true : undefined), "the flow's question");
      expect(visitor.messages()[1]).toBe("1 Acme Bot: Hi Ada! Your order number?");
      visitor.send({ type: "message", body: "A-1234", client_id: "c2" });
      const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the chat task");
      expect(task.taskChannelUniqueName).toBe("chat");
      expect(JSON.parse(task.attributes)).toMatchObject({
        order: "A-1234",
        topic: "billing",
        firstMessage: "I need help",
        channelType: "chat",
        from: session.body.identity,
      });
    } finally {
      await visitor.close();
    }
  });

  it("starts flows from a conversation's studio webhook, on incomingMessage when that is what the trigger wires, and follows deliveryFailure", async () => {
    const inboundUrl = await connect();
    const flow = await client.studio.v2.flows.create({
      friendlyName: "Echo",
      status: "published",
      definition: {
        initial_state: "Trigger",
        states: [
          trigger({ incomingMessage: "ask" }),
          {
            name: "ask",
            type: "send-and-wait-for-reply",
            transitions: [
              { event: "incomingMessage" },
              { event: "timeout" },
              { event: "deliveryFailure", next: "note" },
            ],
            properties: {
              from: "{{flow.channel.address}}",
              body: "You said {{trigger.message.Body}}. Anything else?",
              timeout: "600",
            },
          },
          {
            name: "note",
            type: "set-variables",
            transitions: [{ event: "next" }],
            properties: { variables: [{ key: "undelivered", value: "{{widgets.ask.error}}" }] },
          },
        ],
      },
    });
    // Binding checks: a studio address needs a flow of the account.
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "sms",
        Address: OUR_NUMBER,
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
      }),
    ).toMatchObject({ status: 400, body: { code: 20001 } });
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "sms",
        Address: OUR_NUMBER,
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": "FW00000000000000000000000000000009",
      }),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("no flow FW00000000000000000000000000000009") },
    });
    // Nor a flow with nothing published: customers would write to a flow that cannot answer.
    const draft = await client.studio.v2.flows.create({
      friendlyName: "Not yet",
      status: "draft",
      definition: { initial_state: "Trigger", states: [trigger({})] },
    });
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "sms",
        Address: OUR_NUMBER,
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": draft.sid,
      }),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("has no valid published revision; publish it first") },
    });

    const conversation = await client.conversations.v1.conversations.create({ friendlyName: "Support line" });
    await client.conversations.v1.conversations(conversation.sid).participants.create({
      "messagingBinding.address": CUSTOMER,
      "messagingBinding.proxyAddress": OUR_NUMBER,
    });
    await client.conversations.v1
      .conversations(conversation.sid)
      .webhooks.create({ target: "studio", "configuration.flowSid": flow.sid });

    await provider.inbound(String(inboundUrl), CUSTOMER, OUR_NUMBER, "Hello there");
    const sent = await eventually(() => provider.submitted.at(0), 10_000, "the flow's text");
    expect(sent.params).toMatchObject({ To: CUSTOMER, Body: "You said Hello there. Anything else?" });
    await provider.report(sent, "undelivered", { code: 30003, message: "Unreachable destination handset" });

    const [execution] = await eventually(async () => {
      const listed = await client.studio.v2.flows(flow.sid).executions.list();
      return listed[0]?.status === "ended" ? listed : undefined;
    });
    expect(execution!.context).toMatchObject({
      trigger: { message: { Body: "Hello there", From: CUSTOMER, To: OUR_NUMBER } },
      flow: { variables: { undelivered: "The message could not be delivered (error 30003)" } },
    });
    const steps = await client.studio.v2.flows(flow.sid).executions(execution!.sid).steps.list();
    expect(steps.map((s) => s.name)).toEqual(["incomingMessage", "deliveryFailure", "next"]);
  });

  it("calls out with make-http-request and run-function, runs subflows, and ends visibly when a widget cannot go on", async () => {
    receiver.behave = (request) =>
      request.url.includes("/crm")
        ? { status: 200, json: { tier: "gold", name: "Ada" } }
        : request.url.includes("/score")
          ? { status: 200, json: { score: Number(request.params.boost ?? 0) + 40 } }
          : { status: 500 };
    const child = await client.studio.v2.flows.create({
      friendlyName: "Plan",
      status: "published",
      definition: {
        initial_state: "Trigger",
        states: [
          trigger({ incomingParent: "decide" }),
          {
            name: "decide",
            type: "set-variables",
            transitions: [{ event: "next" }],
            properties: {
              variables: [
                { key: "plan", value: "{% if flow.data.score > 40 %}premium{% else %}basic{% endif %}" },
              ],
            },
          },
        ],
      },
    });
    const flow = await client.studio.v2.flows.create({
      friendlyName: "Enrich",
      status: "published",
      definition: {
        initial_state: "Trigger",
        states: [
          trigger({ incomingRequest: "crm" }),
          {
            name: "crm",
            type: "make-http-request",
            transitions: [{ event: "success", next: "score" }, { event: "failed" }],
            properties: {
              method: "GET",
              content_type: "application/x-www-form-urlencoded;charset=utf-8",
              url: `${receiver.url}crm`,
              parameters: [{ key: "phone", value: "{{contact.channel.address}}" }],
            },
          },
          {
            name: "score",
            type: "run-function",
            transitions: [{ event: "success", next: "plan" }, { event: "fail" }],
            properties: {
              url: `${receiver.url}score`,
              parameters: [
                { key: "boost", value: "{% if widgets.crm.parsed.tier == 'gold' %}5{% else %}0{% endif %}" },
              ],
            },
          },
          {
            name: "plan",
            type: "run-subflow",
            transitions: [{ event: "completed", next: "broken" }, { event: "failed" }],
            properties: {
              flow_sid: child.sid,
              flow_revision: "LatestPublished",
              parameters: [{ key: "score", value: "{{widgets.score.parsed.score}}" }],
            },
          },
          {
            name: "broken",
            type: "make-http-request",
            transitions: [{ event: "success" }, { event: "failed" }],
            properties: {
              method: "POST",
              content_type: "application/json;charset=utf-8",
              url: `${receiver.url}down`,
              body: '{"plan": "{{widgets.plan.plan}}"}',
            },
          },
        ],
      },
    });
    const execution = await client.studio.v2
      .flows(flow.sid)
      .executions.create({ to: CUSTOMER, from: OUR_NUMBER });
    const ended = await eventually(async () => {
      const fetched = await client.studio.v2.flows(flow.sid).executions(execution.sid).fetch();
      return fetched.status === "ended" ? fetched : undefined;
    });
    expect(ended.context).toMatchObject({
      widgets: {
        crm: { status_code: 200, parsed: { tier: "gold" } },
        score: { parsed: { score: 45 } },
        plan: { plan: "premium" },
        broken: { status_code: 500, error: "the server answered 500" },
      },
    });
    expect(receiver.received.map((r) => r.url.replace(receiver.url, "/"))).toEqual([
      `/crm?phone=${encodeURIComponent(CUSTOMER)}`,
      "/score",
      "/down",
    ]);
    expect(receiver.received[2]!.headers["content-type"]).toContain("application/json");
    const [subflow] = await client.studio.v2.flows(child.sid).executions.list();
    expect(subflow).toMatchObject({ status: "ended" });
    expect(subflow!.context).toMatchObject({
      flow: { data: { score: "45" }, variables: { plan: "premium" } },
    });

    // A voice widget cannot run without a call: the execution ends and says why.
    const voice = await client.studio.v2.flows.create({
      friendlyName: "Voice menu",
      status: "published",
      definition: {
        initial_state: "Trigger",
        states: [
          trigger({ incomingRequest: "menu" }),
          {
            name: "menu",
            type: "gather-input-on-call",
            transitions: [],
            properties: { say: "Press 1", number_of_digits: 1 },
          },
        ],
      },
    });
    const call = await client.studio.v2
      .flows(voice.sid)
      .executions.create({ to: CUSTOMER, from: OUR_NUMBER });
    const fetched = await client.studio.v2.flows(voice.sid).executions(call.sid).fetch();
    expect(fetched.status).toBe("ended");
    const raw = await fetch(`${baseUrl}/v2/Flows/${voice.sid}/Executions/${call.sid}`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString("base64")}`,
      },
    });
    expect(((await raw.json()) as { ended_reason: string }).ended_reason).toBe(
      "Widget menu (gather-input-on-call) needs a voice call, which this execution does not have",
    );

    // Ending through the API.
    const waiting = await client.studio.v2.flows.create({
      friendlyName: "Ask",
      status: "published",
      definition: deflectionFlow("WW00000000000000000000000000000001"),
    });
    // Starts racing for one contact: one wins, the others are told it is busy.
    await connect();
    const starts = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        client.studio.v2.flows(waiting.sid).executions.create({ to: "+15550002222", from: OUR_NUMBER }),
      ),
    );
    const won = starts.flatMap((start) => (start.status === "fulfilled" ? [start.value] : []));
    expect(won).toHaveLength(1);
    for (const start of starts)
      if (start.status === "rejected") expect(start.reason).toMatchObject({ status: 409, code: 20409 });
    const asked = won[0]!;
    const stopped = await client.studio.v2
      .flows(waiting.sid)
      .executions(asked.sid)
      .update({ status: "ended" });
    expect(stopped.status).toBe("ended");
  });
});
