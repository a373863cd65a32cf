import twilio from "twilio";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { SmsProvider } from "./support/sms-provider.ts";
import { localTwilio } from "./support/twilio-client.ts";

const OUR_NUMBER = "+15550001111";
const CUSTOMER = "+15557654321";

describe.each(dialects())("SMS through an upstream provider on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let provider: SmsProvider;
  let receiver: WebhookReceiver;
  let client: ReturnType<typeof localTwilio>;
  let clock: SkippingClock;
  const { post, get } = apiCalls(
    () => baseUrl,
    () => account,
  );

  /** Our provider resource for the fake upstream, sending from our number. */
  const connect = async (baseUrlOverride?: string) => {
    const created = await post("/switchboard/v1/Messaging/Providers", {
      ...provider.resourceParams(OUR_NUMBER),
      ...(baseUrlOverride && { BaseUrl: baseUrlOverride }),
    });
    expect(created.status).toBe(201);
    return created.body;
  };

  const fetchMessage = (sid: string) => client.messages(sid).fetch();

  const start = async () => {
    ({ switchboard, baseUrl } = await startServer(
      db,
      { SWITCHBOARD_MESSAGING_BACKOFF_BASE_MS: "50", SWITCHBOARD_MESSAGING_MAX_ATTEMPTS: "4" },
      clock,
    ));
  };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    clock = new SkippingClock();
    await start();
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

  it("sends a text through the provider and follows it to delivered, calling the StatusCallback at each step", async () => {
    const connected = await connect();
    expect(connected).toMatchObject({
      sid: expect.stringMatching(/^XP[0-9a-f]{32}$/),
      type: "twilio",
      addresses: [OUR_NUMBER],
      username: provider.accountSid,
      inbound_url: `${baseUrl}/switchboard/v1/Messaging/Providers/${connected.sid}/Inbound`,
      status_callback_url: `${baseUrl}/switchboard/v1/Messaging/Providers/${connected.sid}/Status`,
    });
    expect(JSON.stringify(connected)).not.toContain(provider.authToken);

    const sent = await client.messages.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      body: "Thank you for choosing to connect with us via SMS",
      statusCallback: `${receiver.url}status`,
    });
    expect(sent).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: "queued",
      direction: "outbound-api",
      numSegments: "1",
      to: CUSTOMER,
      from: OUR_NUMBER,
    });

    // The provider gets it, with our credentials for it and a callback URL for its reports.
    const submitted = await eventually(() => provider.submitted.at(0), 10_000, "the provider's submission");
    expect(submitted.params).toMatchObject({
      To: CUSTOMER,
      From: OUR_NUMBER,
      Body: "Thank you for choosing to connect with us via SMS",
      StatusCallback: connected.status_callback_url,
    });
    expect(submitted.idempotencyToken).toBe(sent.sid);
    await eventually(async () => ((await fetchMessage(sent.sid)).status === "sent" ? true : undefined));

    expect(await provider.report(submitted, "delivered")).toMatchObject({ status: 204 });
    // A late report of an earlier step does not move it back.
    await provider.report(submitted, "sent");
    expect(await fetchMessage(sent.sid)).toMatchObject({ status: "delivered", errorCode: null });

    const callbacks = await eventually(
      () => (receiver.received.length >= 3 ? receiver.received : undefined),
      10_000,
      "three status callbacks",
    );
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(["queued", "sent", "delivered"]);
    for (const callback of callbacks) {
      expect(callback.params).toMatchObject({ MessageSid: sent.sid, To: CUSTOMER, From: OUR_NUMBER });
      expect(
        twilio.validateRequest(
          account.token,
          callback.headers["x-twilio-signature"] as string,
          callback.url,
          callback.params,
        ),
      ).toBe(true);
    }
    // A report whose signature was not made with the provider's token changes nothing.
    const forged = await provider.signedPost(
      connected.status_callback_url as string,
      { MessageSid: submitted.sid, MessageStatus: "failed" },
      "not-the-token",
    );
    expect(forged.status).toBe(403);
    expect((await fetchMessage(sent.sid)).status).toBe("delivered");

    const listed = await client.messages.list({ to: CUSTOMER });
    expect(listed.map((m) => m.sid)).toEqual([sent.sid]);
  });

  it("applies reports that overtake the provider's answer to the send, and forgets ones no send claims in a day", async () => {
    const connected = await connect();
    provider.answers.push({
      reportFirst: [
        { status: "sent" },
        { status: "undelivered", error: { code: 30003, message: "Unreachable destination handset" } },
      ],
    });
    const sent = await client.messages.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      body: "Your order has shipped",
      statusCallback: `${receiver.url}status`,
    });
    const failed = await eventually(async () => {
      const message = await fetchMessage(sent.sid);
      return message.status === "undelivered" ? message : undefined;
    });
    expect(failed).toMatchObject({ errorCode: 30003, errorMessage: "Unreachable destination handset" });
    const callbacks = await eventually(
      () => (receiver.received.length >= 3 ? receiver.received : undefined),
      10_000,
      "three status callbacks",
    );
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(["queued", "sent", "undelivered"]);
    const kept = () =>
      switchboard.database.db.selectFrom("early_reports").select("provider_message_id").execute();
    expect(await kept()).toEqual([]);

    // A report on an ID no send of ours ever had waits, but not for ever.
    const stranger = { sid: "SMnever", params: { StatusCallback: connected.status_callback_url as string } };
    expect(await provider.report({ ...stranger, idempotencyToken: undefined }, "delivered")).toMatchObject({
      status: 204,
    });
    expect(await kept()).toEqual([{ provider_message_id: "SMnever" }]);
    clock.skipMs = 25 * 60 * 60 * 1000;
    await provider.report({ ...stranger, sid: "SMlater", idempotencyToken: undefined }, "delivered");
    expect(await kept()).toEqual([{ provider_message_id: "SMlater" }]);
  });

  it("counts segments as carriers do and refuses bad sends with Twilio's error codes", async () => {
    await connect();
    const long = await client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body: "a".repeat(161) });
    expect(long.numSegments).toBe("2");
    const unicode = await client.messages.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      body: "Merci, à bientôt 🙂",
    });
    expect(unicode.numSegments).toBe("1");
    const longUnicode = await client.messages.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      body: "ô".repeat(71),
    });
    expect(longUnicode.numSegments).toBe("2");

    const path = `/2010-04-01/Accounts/${account.sid}/Messages.json`;
    const refused = async (params: Record<string, string>) => (await post(path, params)).body;
    expect(await refused({ From: OUR_NUMBER, Body: "hi" })).toMatchObject({ code: 21604, status: 400 });
    expect(await refused({ To: CUSTOMER, Body: "hi" })).toMatchObject({ code: 21603 });
    expect(await refused({ To: CUSTOMER, From: OUR_NUMBER })).toMatchObject({ code: 21602 });
    expect(await refused({ To: "12345", From: OUR_NUMBER, Body: "hi" })).toMatchObject({ code: 21211 });
    expect(await refused({ To: CUSTOMER, From: "+15559999999", Body: "hi" })).toMatchObject({
      code: 21606,
      more_info: "https://www.twilio.com/docs/errors/21606",
    });
    expect(await refused({ To: CUSTOMER, From: OUR_NUMBER, Body: "a".repeat(1601) })).toMatchObject({
      code: 21617,
    });
    // Nothing refused was kept.
    expect(await client.messages.list()).toHaveLength(3);
  });

  it("retries a provider's passing faults and marks a refusal failed with the provider's code and reason", async () => {
    await connect();
    provider.answers.push({ status: 503, message: "Service Unavailable" }, { status: 429, code: 20429 });
    const retried = await client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body: "first" });
    await eventually(async () => ((await fetchMessage(retried.sid)).status === "sent" ? true : undefined));
    expect(provider.submitted).toHaveLength(1);

    provider.answers.push({
      status: 400,
      code: 21610,
      message: "Attempt to send to unsubscribed recipient",
    });
    const refused = await client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body: "second" });
    const failed = await eventually(async () => {
      const message = await fetchMessage(refused.sid);
      return message.status === "failed" ? message : undefined;
    });
    expect(failed).toMatchObject({
      errorCode: 21610,
      errorMessage: "Attempt to send to unsubscribed recipient",
    });
    expect(provider.submitted).toHaveLength(1);

    // A provider that never answers: the attempts run out and the message fails with the last reason.
    provider.answers.push(...Array(4).fill({ status: 500 }));
    const givenUp = await client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body: "third" });
    const gaveUp = await eventually(async () => {
      const message = await fetchMessage(givenUp.sid);
      return message.status === "failed" ? message : undefined;
    });
    expect(gaveUp.errorMessage).toBe("Gave up after 4 attempts: the provider answered HTTP 500");
    expect(provider.answers).toHaveLength(0);
  });

  it("keeps a queued message across a restart and sends it once the provider is back", async () => {
    // The provider's address answers nothing yet (it is closed).
    const down = await new SmsProvider().start();
    const closedUrl = down.url;
    await down.stop();
    const connected = await connect(closedUrl);
    const queued = await client.messages.create({
      to: CUSTOMER,
      from: OUR_NUMBER,
      body: "Your callback is booked",
    });
    await eventually(async () => ((await fetchMessage(queued.sid)).errorMessage ? true : undefined));
    expect((await fetchMessage(queued.sid)).status).toBe("queued");

    await switchboard.close();
    await start();
    client = localTwilio(baseUrl, account.sid, account.token);
    expect(
      await post(`/switchboard/v1/Messaging/Providers/${connected.sid}`, { BaseUrl: provider.url }),
    ).toMatchObject({ status: 200 });
    await eventually(async () => ((await fetchMessage(queued.sid)).status === "sent" ? true : undefined));
    expect(provider.submitted.map((s) => s.params.Body)).toEqual(["Your callback is booked"]);
  });

  it("routes inbound texts into a conversation and a task, once each, and sends the agent's reply back by SMS", async () => {
    const connected = await connect();
    const { workspace, ws, workflow, alice } = await supportDesk(client, 120, "channelType == 'sms'");
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "sms",
        Address: OUR_NUMBER,
        "AutoCreation.Enabled": "true",
        "AutoCreation.WorkspaceSid": workspace.sid,
        "AutoCreation.WorkflowSid": workflow.sid,
      }),
    ).toMatchObject({ status: 201 });

    // The customer texts; the provider delivers the webhook twice (a retry after a timeout).
    const inboundUrl = connected.inbound_url as string;
    const text = "Hi, my card 4111 1111 1111 1111 was charged twice";
    const first = await provider.inbound(inboundUrl, CUSTOMER, OUR_NUMBER, text, "SMinbound1");
    expect(first).toMatchObject({ status: 200 });
    expect(first.text).toContain("<Response></Response>");
    expect(await provider.inbound(inboundUrl, CUSTOMER, OUR_NUMBER, text, "SMinbound1")).toMatchObject({
      status: 200,
    });
    // An unsigned request is refused and stores nothing.
    const unsigned = await fetch(inboundUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ From: CUSTOMER, To: OUR_NUMBER, Body: "spoofed", MessageSid: "SMx" }),
    });
    expect(unsigned.status).toBe(403);

    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the SMS task");
    expect(task.taskChannelUniqueName).toBe("sms");
    const attributes = JSON.parse(task.attributes) as Record<string, string>;
    expect(attributes).toMatchObject({ channelType: "sms", from: CUSTOMER, direction: "inbound" });
    const conversation = client.conversations.v1.conversations(attributes.conversationSid!);
    const history = await conversation.messages.list();
    expect(history.map((m) => [m.author, m.body])).toEqual([
      [CUSTOMER, "Hi, my card **** **** **** 1111 was charged twice"],
    ]);
    const received = await client.messages.list({ from: CUSTOMER });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ direction: "inbound", status: "received", to: OUR_NUMBER });
    expect(received[0]!.body).not.toContain("4111 1111");

    // The agent accepts and answers from the desktop: the reply leaves by SMS from our number.
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    expect(reservation!.workerSid).toBe(alice.sid);
    await ws.tasks(task.sid).reservations(reservation!.sid).update({ reservationStatus: "accepted" });
    await conversation.participants.create({ identity: "alice" });
    const reply = await conversation.messages.create({
      author: "alice",
      body: "Sorry! Refunding the second charge now.",
    });
    const submitted = await eventually(() => provider.submitted.at(0), 10_000, "the reply at the provider");
    expect(submitted.params).toMatchObject({
      To: CUSTOMER,
      From: OUR_NUMBER,
      Body: "Sorry! Refunding the second charge now.",
    });

    // Its delivery receipt follows the provider's reports.
    const receiptPath = `/v1/Conversations/${attributes.conversationSid}/Messages/${reply.sid}/Receipts`;
    const receipts = await eventually(async () => {
      const listed = await get(receiptPath);
      return listed.body.delivery_receipts?.[0]?.status === "sent"
        ? listed.body.delivery_receipts
        : undefined;
    });
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      sid: expect.stringMatching(/^DY[0-9a-f]{32}$/),
      message_sid: reply.sid,
      channel_message_sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      error_code: 0,
    });
    await provider.report(submitted, "undelivered", {
      code: 30003,
      message: "Unreachable destination handset",
    });
    const receipt = await get(`${receiptPath}/${receipts[0].sid}`);
    expect(receipt.body).toMatchObject({ status: "undelivered", error_code: 30003 });
    const fetched = await conversation.messages(reply.sid).fetch();
    expect(fetched.delivery).toMatchObject({ total: 1, sent: "none", undelivered: "all" });
    // The customer's own message was not sent back to them.
    expect(provider.submitted).toHaveLength(1);
    // One conversation and one task, however often the webhook came.
    expect(await client.conversations.v1.conversations.list()).toHaveLength(1);
    expect(await ws.tasks.list()).toHaveLength(1);
  });

  it("fails a reply visibly when its participant has no address of ours to send from", async () => {
    const conversation = await client.conversations.v1.conversations.create({ friendlyName: "No proxy" });
    // A message before anyone is reachable by a provider: nothing to deliver, and remembered so.
    const early = await client.conversations.v1
      .conversations(conversation.sid)
      .messages.create({ author: "alice", body: "Note to self" });
    // Let the delivery consumer read it (it is woken at once) before the participant joins.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.conversations.v1
      .conversations(conversation.sid)
      .participants.create({ "messagingBinding.address": "jane@customer.test" });
    const message = await client.conversations.v1
      .conversations(conversation.sid)
      .messages.create({ author: "alice", body: "Hello Jane" });
    const receipt = await eventually(async () => {
      const listed = await get(`/v1/Conversations/${conversation.sid}/Messages/${message.sid}/Receipts`);
      return listed.body.delivery_receipts?.[0]?.status === "failed"
        ? listed.body.delivery_receipts[0]
        : undefined;
    });
    expect(receipt).toMatchObject({ error_code: 21606 });
    const none = await get(`/v1/Conversations/${conversation.sid}/Messages/${early.sid}/Receipts`);
    expect(none.body.delivery_receipts).toEqual([]);
    const sent = await client.messages(receipt.channel_message_sid as string).fetch();
    expect(sent.errorMessage).toBe("The participant has no proxy address to send from");
  });
});
