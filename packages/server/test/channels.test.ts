import twilio from "twilio";
import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

describe.each(dialects())("Inbound routing over a custom channel on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let receiver: WebhookReceiver;

  const { post } = apiCalls(
    () => baseUrl,
    () => account,
  );

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    receiver = await new WebhookReceiver().start();
  });

  afterEach(async () => {
    if (unavailable) return;
    await receiver.stop();
    await switchboard.close();
    await db.drop();
  });

  it("turns a customer's first message into a conversation and a task, and sends the agent's reply back", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, ws, workflow, alice } = await supportDesk(client, 120, "channelType == 'custom'");
    const address = await post("/v1/Configuration/Addresses", {
      Type: "custom",
      Address: "acme-app",
      FriendlyName: "Acme mobile app",
      "AutoCreation.Enabled": "true",
      "AutoCreation.Type": "webhook",
      "AutoCreation.WebhookUrl": `${receiver.url}outbound`,
      "AutoCreation.WebhookFilters": "onMessageAdded",
      "AutoCreation.WorkspaceSid": workspace.sid,
      "AutoCreation.WorkflowSid": workflow.sid,
    });
    expect(address.status).toBe(201);
    expect(address.body).toMatchObject({
      sid: expect.stringMatching(/^IG[0-9a-f]{32}$/),
      type: "custom",
      auto_creation: { enabled: true, type: "webhook", workflow_sid: workflow.sid },
    });
    expect((await client.conversations.v1.addressConfigurations.list()).map((a) => a.address)).toEqual([
      "acme-app",
    ]);

    // The customer writes; the business's server forwards it, then forwards it again (a retry).
    const inbound = { To: "acme-app", From: "user-17", Body: "My order never arrived", MessageId: "m-1" };
    const first = await post("/switchboard/v1/Channels/Custom/Messages", inbound);
    expect(first).toMatchObject({ status: 201, body: { index: 0, duplicate: false } });
    const again = await post("/switchboard/v1/Channels/Custom/Messages", inbound);
    expect(again).toMatchObject({
      status: 200,
      body: { message_sid: first.body.message_sid, duplicate: true },
    });
    const conversationSid = first.body.conversation_sid as string;

    // The conversation reaches the agent as a task carrying it.
    const task = await eventually(
      async () => (await ws.tasks.list()).at(0),
      10_000,
      "the conversation's task",
    );
    expect(JSON.parse(task.attributes)).toEqual({
      conversationSid,
      channelType: "custom",
      from: "user-17",
      customerAddress: "user-17",
      direction: "inbound",
    });
    expect(task.taskChannelUniqueName).toBe("chat");
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    expect(reservation).toMatchObject({ workerSid: alice.sid, reservationStatus: "pending" });
    await ws.tasks(task.sid).reservations(reservation!.sid).update({ reservationStatus: "accepted" });

    // The agent's desktop stream carries the conversation of the task it was offered.
    const grant = await post(`/switchboard/v1/Workspaces/${workspace.sid}/StreamTokens`, {
      WorkerSid: alice.sid,
    });
    const agentSocket = new WebSocket(grant.body.stream_url as string);
    const pushed: Array<{ type: string; event_type?: string; data?: Record<string, string> }> = [];
    agentSocket.on("message", (data: Buffer) =>
      pushed.push(JSON.parse(data.toString()) as (typeof pushed)[0]),
    );
    await eventually(
      () => (pushed.some((m) => m.type === "ready") ? true : undefined),
      10_000,
      "the agent stream",
    );

    // The agent joins and answers; the customer writes once more, into the same conversation.
    const conversation = client.conversations.v1.conversations(conversationSid);
    await conversation.participants.create({ identity: "alice" });
    await conversation.messages.create({ author: "alice", body: "Sorry about that! Let me check." });
    const followUp = await post("/switchboard/v1/Channels/Custom/Messages", {
      ...inbound,
      Body: "Thanks",
      MessageId: "m-2",
    });
    expect(followUp.body).toMatchObject({ conversation_sid: conversationSid, index: 2 });

    const live = await eventually(
      () => {
        const bodies = pushed
          .filter((m) => m.event_type === "conversation.message.added")
          .map((m) => `${m.data!.Author}: ${m.data!.Body}`);
        return bodies.length >= 2 ? bodies : undefined;
      },
      10_000,
      "the conversation's messages on the agent stream",
    );
    expect(live).toEqual(["alice: Sorry about that! Let me check.", "user-17: Thanks"]);
    agentSocket.close();

    // Every message of the conversation reaches the business's endpoint, signed with the auth token.
    const delivered = await eventually(
      () => (receiver.received.length >= 3 ? receiver.received : undefined),
      10_000,
      "three outbound callbacks",
    );
    expect(delivered.map((r) => [r.params.EventType, r.params.Author, r.params.Body])).toEqual([
      ["onMessageAdded", "user-17", "My order never arrived"],
      ["onMessageAdded", "alice", "Sorry about that! Let me check."],
      ["onMessageAdded", "user-17", "Thanks"],
    ]);
    for (const request of delivered)
      expect(
        twilio.validateRequest(
          account.token,
          request.headers["x-twilio-signature"] as string,
          request.url,
          request.params,
        ),
      ).toBe(true);
    // One task for the conversation, however many messages it has.
    expect(await ws.tasks.list()).toHaveLength(1);
    const messages = await conversation.messages.list();
    expect(messages.map((m) => m.body)).toEqual([
      "My order never arrived",
      "Sorry about that! Let me check.",
      "Thanks",
    ]);
  });

  it("stores messages arriving together as each alone would be: repeats once, a refused one alone refused", async () => {
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "custom",
        Address: "acme-app",
        "AutoCreation.Enabled": "true",
      }),
    ).toMatchObject({ status: 201 });
    const send = (from: string, id: string, to = "acme-app") =>
      post("/switchboard/v1/Channels/Custom/Messages", {
        To: to,
        From: from,
        Body: `${from} ${id}`,
        MessageId: id,
      });
    // Sent at once, so they share commits: ten customers, one message sent twice, one to nowhere.
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => send(`user-${i}`, `m-${i}`)),
      send("user-0", "m-0"),
      send("user-x", "m-x", "nowhere"),
      send("user-0", "m-0b"),
    ]);
    expect(answers.slice(1, 10).map((a) => a.status)).toEqual(Array(9).fill(201));
    // m-0 twice: one stored (201), one recognised (200), whichever was taken first.
    expect([answers[0].status, answers[10]!.status].sort()).toEqual([200, 201]);
    expect(answers[10]!.body.message_sid).toBe(answers[0].body.message_sid);
    expect(answers[11]).toMatchObject({ status: 404 });
    // The same customer's second message joins the first's conversation (in whichever order they came).
    expect(answers[12]).toMatchObject({
      status: 201,
      body: { conversation_sid: answers[0].body.conversation_sid },
    });
    const client = localTwilio(baseUrl, account.sid, account.token);
    const conversations = await client.conversations.v1.conversations.list();
    expect(conversations).toHaveLength(10);
    const first = await client.conversations.v1
      .conversations(answers[0].body.conversation_sid as string)
      .messages.list();
    expect(first.map((m) => m.index)).toEqual([0, 1]);
    expect(first.map((m) => m.body).sort()).toEqual(["user-0 m-0", "user-0 m-0b"]);
  });

  it("refuses a message to an address nobody configured, and a configuration naming a missing workflow", async () => {
    const refused = await post("/switchboard/v1/Channels/Custom/Messages", {
      To: "unknown",
      From: "user-1",
      Body: "hello?",
    });
    expect(refused).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(refused.body.message).toContain("custom address unknown");

    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace } = await supportDesk(client);
    const bad = await post("/v1/Configuration/Addresses", {
      Type: "custom",
      Address: "acme-app",
      "AutoCreation.Enabled": "true",
      "AutoCreation.WorkspaceSid": workspace.sid,
      "AutoCreation.WorkflowSid": "WW00000000000000000000000000000000",
    });
    expect(bad).toMatchObject({ status: 400, body: { code: 20001 } });
    expect(bad.body.message).toContain("AutoCreation.WorkflowSid");
  });
});
