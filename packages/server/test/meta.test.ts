import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { MetaGraph, pageEvents, whatsappChange } from "./support/meta-graph.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

const HOUR = 3_600_000;
const NUMBER = { id: "106540352242922", display: "15550001111" };
const OUR_WHATSAPP = "whatsapp:+15550001111";
const CUSTOMER_WHATSAPP = "whatsapp:+15557654321";
const PAGE_ID = "1029384756";
const PSID = "6543210987654321";

describe.each(dialects())("WhatsApp and Messenger through Meta on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let graph: MetaGraph;
  let clock: SkippingClock;
  let client: ReturnType<typeof localTwilio>;
  const { post, get } = apiCalls(
    () => baseUrl,
    () => account,
  );

  const connect = async (params: Record<string, string>) => {
    const created = await post("/switchboard/v1/Messaging/Providers", {
      BaseUrl: graph.url,
      Password: graph.accessToken,
      AppSecret: graph.appSecret,
      ...params,
    });
    expect(created.status).toBe(201);
    return created.body;
  };

  /** An address of ours whose conversations become tasks for Alice, who accepts the first. */
  const deskFor = async (type: string, address: string) => {
    const desk = await supportDesk(client, 120, `channelType == '${type}'`);
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: type,
        Address: address,
        "AutoCreation.Enabled": "true",
        "AutoCreation.WorkspaceSid": desk.workspace.sid,
        "AutoCreation.WorkflowSid": desk.workflow.sid,
      }),
    ).toMatchObject({ status: 201 });
    return desk;
  };

  /** The conversation of the first task, once it is there, with Alice in it. */
  const acceptFirstTask = async (ws: Awaited<ReturnType<typeof supportDesk>>["ws"]) => {
    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the task");
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    await ws.tasks(task.sid).reservations(reservation!.sid).update({ reservationStatus: "accepted" });
    const attributes = JSON.parse(task.attributes) as Record<string, string>;
    const conversation = client.conversations.v1.conversations(attributes.conversationSid!);
    await conversation.participants.create({ identity: "alice" });
    return { task, attributes, conversation };
  };

  const receiptOf = async (conversationSid: string, messageSid: string, status: string) =>
    eventually(
      async () => {
        const listed = await get(`/v1/Conversations/${conversationSid}/Messages/${messageSid}/Receipts`);
        const receipt = listed.body.delivery_receipts?.[0];
        return receipt?.status === status ? receipt : undefined;
      },
      10_000,
      `a ${status} receipt`,
    );

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    clock = new SkippingClock();
    ({ switchboard, baseUrl } = await startServer(
      db,
      { SWITCHBOARD_MESSAGING_BACKOFF_BASE_MS: "50", SWITCHBOARD_MESSAGING_MAX_ATTEMPTS: "3" },
      clock,
    ));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    client = localTwilio(baseUrl, account.sid, account.token);
    graph = await new MetaGraph().start();
  });

  afterEach(async () => {
    if (unavailable) return;
    await graph.stop();
    await switchboard.close();
    await db.drop();
  });

  it("answers Meta's handshake and refuses events not signed with the app secret", async () => {
    const provider = await connect({ Type: "whatsapp", Username: NUMBER.id, Addresses: OUR_WHATSAPP });
    expect(provider).toMatchObject({
      type: "whatsapp",
      username: NUMBER.id,
      webhook_url: `${baseUrl}/switchboard/v1/Messaging/Providers/${provider.sid}/WhatsApp`,
      verify_token: expect.stringMatching(/^[\w-]{32}$/),
      human_agent: false,
    });
    const shown = JSON.stringify(provider);
    expect(shown).not.toContain(graph.accessToken);
    expect(shown).not.toContain(graph.appSecret);

    expect(await graph.handshake(provider.webhook_url, provider.verify_token, "1158201444")).toEqual({
      status: 200,
      text: "1158201444",
    });
    expect((await graph.handshake(provider.webhook_url, "guessed", "1158201444")).status).toBe(403);

    const event = whatsappChange(NUMBER, {
      messages: [{ from: "15557654321", id: "wamid.forged", type: "text", text: { body: "hi" } }],
    });
    expect((await graph.deliver(provider.webhook_url, event, "another-app")).status).toBe(403);
    // Signed over other bytes than those sent: refused too.
    const tampered = await fetch(provider.webhook_url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": `sha256=${"0".repeat(64)}`,
      },
      body: JSON.stringify(event),
    });
    expect(tampered.status).toBe(403);
    expect(await client.messages.list()).toHaveLength(0);

    const noSecret = await post("/switchboard/v1/Messaging/Providers", {
      Type: "whatsapp",
      Username: NUMBER.id,
      Password: graph.accessToken,
    });
    expect(noSecret.body).toMatchObject({ status: 400, message: expect.stringContaining("AppSecret") });
  });

  it("routes a WhatsApp message to an agent once, replies through the Graph API and follows it to read", async () => {
    const provider = await connect({ Type: "whatsapp", Username: NUMBER.id, Addresses: OUR_WHATSAPP });
    const { ws } = await deskFor("whatsapp", OUR_WHATSAPP);

    const event = whatsappChange(NUMBER, {
      contacts: [{ profile: { name: "Kerry Fisher" }, wa_id: "15557654321" }],
      messages: [
        {
          from: "15557654321",
          id: "wamid.HBgLMTU1NTc2NTQzMjEVAgASGBQz",
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: "text",
          text: { body: "My card 4111 1111 1111 1111 was declined" },
        },
      ],
    });
    expect(await graph.deliver(provider.webhook_url, event)).toMatchObject({ status: 200 });
    // Meta redelivers when it missed our answer: nothing is added.
    expect(await graph.deliver(provider.webhook_url, event)).toMatchObject({ status: 200 });

    const { task, attributes, conversation } = await acceptFirstTask(ws);
    expect(attributes).toMatchObject({
      channelType: "whatsapp",
      from: CUSTOMER_WHATSAPP,
      name: "Kerry Fisher",
    });
    expect(task.taskChannelUniqueName).toBe("chat");
    const history = await conversation.messages.list();
    expect(history.map((m) => [m.author, m.body])).toEqual([
      [CUSTOMER_WHATSAPP, "My card **** **** **** 1111 was declined"],
    ]);

    const reply = await conversation.messages.create({ author: "alice", body: "Let me check that card." });
    const submitted = await eventually(() => graph.submitted.at(0), 10_000, "the reply at Meta");
    expect(submitted).toMatchObject({
      node: NUMBER.id,
      accessToken: graph.accessToken,
      body: {
        messaging_product: "whatsapp",
        to: "15557654321",
        type: "text",
        text: { body: "Let me check that card." },
      },
    });
    const sent = await receiptOf(attributes.conversationSid!, reply.sid, "sent");

    const status = (value: string, extra: object = {}) =>
      graph.deliver(
        provider.webhook_url,
        whatsappChange(NUMBER, {
          statuses: [{ id: submitted.id, status: value, recipient_id: "15557654321", ...extra }],
        }),
      );
    expect(await status("delivered")).toMatchObject({ status: 200 });
    expect(await status("read")).toMatchObject({ status: 200 });
    // A late report of an earlier step does not move it back.
    expect(await status("delivered")).toMatchObject({ status: 200 });
    await receiptOf(attributes.conversationSid!, reply.sid, "read");
    expect(await client.messages(sent.channel_message_sid).fetch()).toMatchObject({ status: "read" });

    expect(graph.submitted).toHaveLength(1);
    expect(await client.conversations.v1.conversations.list()).toHaveLength(1);
    expect(await ws.tasks.list()).toHaveLength(1);
  });

  it("keeps to WhatsApp's 24-hour window: refuses free-form messages to customers who have not written lately", async () => {
    const provider = await connect({ Type: "whatsapp", Username: NUMBER.id, Addresses: OUR_WHATSAPP });
    const path = `/2010-04-01/Accounts/${account.sid}/Messages.json`;

    // Nobody has written yet: the API refuses at once, and keeps nothing.
    const refused = await post(path, { To: CUSTOMER_WHATSAPP, From: OUR_WHATSAPP, Body: "Hello!" });
    expect(refused.body).toMatchObject({
      status: 400,
      code: 63016,
      message: expect.stringContaining(`${CUSTOMER_WHATSAPP} has never written to ${OUR_WHATSAPP}`),
    });
    expect(await client.messages.list()).toHaveLength(0);

    await graph.deliver(
      provider.webhook_url,
      whatsappChange(NUMBER, {
        messages: [
          { from: "15557654321", id: "wamid.1", type: "text", text: { body: "Is my order shipped?" } },
        ],
      }),
    );
    const answered = await client.messages.create({
      to: CUSTOMER_WHATSAPP,
      from: OUR_WHATSAPP,
      body: "Yes, this morning.",
    });
    await eventually(async () =>
      (await client.messages(answered.sid).fetch()).status === "sent" ? true : undefined,
    );

    // A day and an hour later the window has closed; a message scheduled earlier fails when due.
    const scheduled = await client.messages.create({
      to: CUSTOMER_WHATSAPP,
      from: OUR_WHATSAPP,
      body: "How was your delivery?",
      scheduleType: "fixed",
      sendAt: new Date(clock.now() + 20 * 60_000),
    });
    clock.skipMs = 25 * HOUR;
    const late = await post(path, { To: CUSTOMER_WHATSAPP, From: OUR_WHATSAPP, Body: "Still there?" });
    expect(late.body).toMatchObject({
      code: 63016,
      message: expect.stringMatching(/^Outside the 24-hour customer service window: .* last wrote to .* at /),
    });
    const expired = await eventually(async () => {
      const message = await client.messages(scheduled.sid).fetch();
      return message.status === "failed" ? message : undefined;
    });
    expect(expired).toMatchObject({ errorCode: 63016 });
    expect(graph.submitted.map((s) => s.body.text.body)).toEqual(["Yes, this morning."]);

    // Meta's own verdict on a message it had taken is kept with its reason.
    await graph.deliver(
      provider.webhook_url,
      whatsappChange(NUMBER, {
        statuses: [
          {
            id: graph.submitted[0]!.id,
            status: "failed",
            errors: [
              {
                code: 131026,
                title: "Message undeliverable",
                message: "Message undeliverable",
                error_data: { details: "The recipient's phone number is not a WhatsApp phone number" },
              },
            ],
          },
        ],
      }),
    );
    // Already sent, a failure report is taken (sent moves on to failed).
    const failed = await client.messages(answered.sid).fetch();
    expect(failed).toMatchObject({
      status: "failed",
      errorCode: 131026,
      errorMessage:
        "Meta refused the message: Message undeliverable: The recipient's phone number is not a WhatsApp phone number",
    });
  });

  it("retries Meta's throttling, fails its refusals, and takes events for the app's other numbers", async () => {
    const provider = await connect({ Type: "whatsapp", Username: NUMBER.id, Addresses: OUR_WHATSAPP });
    const second = { id: "209876543210987", display: "15550002222" };
    const sibling = await connect({
      Type: "whatsapp",
      Username: second.id,
      Addresses: "whatsapp:+15550002222",
    });
    // One app's webhook (the first number's URL) carries the second number's messages.
    await graph.deliver(
      provider.webhook_url,
      whatsappChange(second, {
        messages: [{ from: "15557654321", id: "wamid.2", type: "text", text: { body: "Hello second line" } }],
      }),
    );
    const [inbound] = await client.messages.list({ to: "whatsapp:+15550002222" });
    expect(inbound).toMatchObject({
      direction: "inbound",
      from: CUSTOMER_WHATSAPP,
      body: "Hello second line",
    });

    graph.answers.push({ status: 400, error: { message: "(#130429) Rate limit hit", code: 130429 } });
    const throttled = await client.messages.create({
      to: CUSTOMER_WHATSAPP,
      from: "whatsapp:+15550002222",
      body: "Thanks for writing",
    });
    await eventually(async () =>
      (await client.messages(throttled.sid).fetch()).status === "sent" ? true : undefined,
    );
    expect(graph.submitted.map((s) => s.node)).toEqual([second.id]);

    graph.answers.push({
      status: 400,
      error: { message: "(#131047) Re-engagement message", code: 131047 },
    });
    const refused = await client.messages.create({
      to: CUSTOMER_WHATSAPP,
      from: "whatsapp:+15550002222",
      body: "One more thing",
    });
    const failed = await eventually(async () => {
      const message = await client.messages(refused.sid).fetch();
      return message.status === "failed" ? message : undefined;
    });
    expect(failed).toMatchObject({ errorCode: 63016 });
    expect(failed.errorMessage).toContain("Re-engagement message");
    expect(graph.submitted).toHaveLength(1);
    expect(sibling.webhook_url).not.toBe(provider.webhook_url);
  });

  it("talks with a Messenger customer: messages in, replies out, delivery and read watermarks, and the human-agent window", async () => {
    const provider = await connect({
      Type: "messenger",
      Username: PAGE_ID,
      Addresses: `messenger:${PAGE_ID}`,
    });
    expect(provider.webhook_url).toBe(
      `${baseUrl}/switchboard/v1/Messaging/Providers/${provider.sid}/Messenger`,
    );
    expect((await graph.handshake(provider.webhook_url, provider.verify_token, "ch4llenge")).text).toBe(
      "ch4llenge",
    );
    const { ws } = await deskFor("messenger", `messenger:${PAGE_ID}`);
    const customer = `messenger:${PSID}`;

    const message = {
      sender: { id: PSID },
      recipient: { id: PAGE_ID },
      timestamp: Date.now(),
      message: { mid: "m_first", text: "Where is my parcel?" },
    };
    expect(await graph.deliver(provider.webhook_url, pageEvents(PAGE_ID, [message]))).toMatchObject({
      status: 200,
    });
    await graph.deliver(provider.webhook_url, pageEvents(PAGE_ID, [message]));
    // Our own messages come back as echoes: they are not the customer's.
    await graph.deliver(
      provider.webhook_url,
      pageEvents(PAGE_ID, [
        {
          sender: { id: PAGE_ID },
          recipient: { id: PSID },
          timestamp: Date.now(),
          message: { mid: "m_echo", text: "an echo", is_echo: true },
        },
      ]),
    );

    const { attributes, conversation } = await acceptFirstTask(ws);
    expect(attributes).toMatchObject({ channelType: "messenger", from: customer });
    expect((await conversation.messages.list()).map((m) => m.body)).toEqual(["Where is my parcel?"]);

    const reply = await conversation.messages.create({ author: "alice", body: "It is out for delivery." });
    const submitted = await eventually(() => graph.submitted.at(0), 10_000, "the reply at Meta");
    expect(submitted).toMatchObject({
      node: PAGE_ID,
      body: {
        recipient: { id: PSID },
        messaging_type: "RESPONSE",
        message: { text: "It is out for delivery." },
      },
    });
    await receiptOf(attributes.conversationSid!, reply.sid, "sent");
    const watermark = Date.now() + 1_000;
    await graph.deliver(
      provider.webhook_url,
      pageEvents(PAGE_ID, [
        { sender: { id: PSID }, recipient: { id: PAGE_ID }, delivery: { mids: [submitted.id], watermark } },
      ]),
    );
    await receiptOf(attributes.conversationSid!, reply.sid, "delivered");
    await graph.deliver(
      provider.webhook_url,
      pageEvents(PAGE_ID, [{ sender: { id: PSID }, recipient: { id: PAGE_ID }, read: { watermark } }]),
    );
    await receiptOf(attributes.conversationSid!, reply.sid, "read");

    // Two days on, a plain page may not answer; one whose agents answer as humans may, tagged.
    clock.skipMs = 48 * HOUR;
    const closed = await conversation.messages.create({ author: "alice", body: "Did it arrive?" });
    const receipt = await receiptOf(attributes.conversationSid!, closed.sid, "failed");
    expect(receipt.error_code).toBe(63016);
    expect(
      await post(`/switchboard/v1/Messaging/Providers/${provider.sid}`, { HumanAgent: "true" }),
    ).toMatchObject({ status: 200, body: { human_agent: true } });
    const tagged = await conversation.messages.create({
      author: "alice",
      body: "Checking in on your parcel",
    });
    await receiptOf(attributes.conversationSid!, tagged.sid, "sent");
    expect(graph.submitted.at(-1)!.body).toMatchObject({ messaging_type: "MESSAGE_TAG", tag: "HUMAN_AGENT" });
    clock.skipMs = 8 * 24 * HOUR;
    const tooLate = await conversation.messages.create({ author: "alice", body: "Hello?" });
    expect((await receiptOf(attributes.conversationSid!, tooLate.sid, "failed")).error_code).toBe(63016);
    expect(graph.submitted).toHaveLength(2);
  });
});
