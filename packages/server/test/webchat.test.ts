import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";
import { Visitor } from "./support/visitor.ts";

describe.each(dialects())("web chat on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  const visitors: Visitor[] = [];

  const { post } = apiCalls(
    () => baseUrl,
    () => account,
  );

  const visit = async (url: string) => {
    const visitor = await Visitor.open(url);
    visitors.push(visitor);
    return visitor;
  };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
  });

  afterEach(async () => {
    if (unavailable) return;
    for (const visitor of visitors.splice(0)) if (!visitor.closed) await visitor.close();
    await switchboard.close();
    await db.drop();
  });

  it("stores each visitor's messages in the order sent while many visitors write at once", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, workflow } = await supportDesk(client, 120, "channelType == 'chat'");
    await post("/v1/Configuration/Addresses", {
      Type: "chat",
      Address: "busy-widget",
      "AutoCreation.Enabled": "true",
      "AutoCreation.WorkspaceSid": workspace.sid,
      "AutoCreation.WorkflowSid": workflow.sid,
    });
    const opened = await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const session = await post(
          "/switchboard/v1/WebChat/Sessions",
          { AccountSid: account.sid, Address: "busy-widget", FriendlyName: `visitor ${n}` },
          false,
        );
        return {
          identity: session.body.identity as string,
          visitor: await visit(session.body.socket_url as string),
        };
      }),
    );
    // Every visitor sends all of its messages before any is acknowledged, while the others do the
    // same (on Postgres, inbound messages are stored in several lanes side by side).
    for (let i = 0; i < 15; i++)
      for (const { visitor } of opened) visitor.send({ type: "message", body: `m${i}`, client_id: `c${i}` });
    for (const { identity, visitor } of opened) {
      await visitor.until((v) => (v.messages().length >= 15 ? true : undefined), "the visitor's messages");
      expect(visitor.messages()).toEqual(Array.from({ length: 15 }, (_, i) => `${i} ${identity}: m${i}`));
    }
  });

  it("carries a visitor's chat to an agent and back, and loses nothing across a reconnect", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const { workspace, ws, workflow, alice } = await supportDesk(client, 120, "channelType == 'chat'");
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "chat",
        Address: "support-widget",
        "AutoCreation.Enabled": "true",
        "AutoCreation.WorkspaceSid": workspace.sid,
        "AutoCreation.WorkflowSid": workflow.sid,
      }),
    ).toMatchObject({ status: 201 });

    // The widget starts a session with the visitor's pre-chat answers; no credentials.
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
    expect(session).toMatchObject({ status: 201, body: { identity: expect.stringMatching(/^webchat-/) } });
    const visitor = await visit(session.body.socket_url as string);
    expect(visitor.ready()).toMatchObject({ identity: session.body.identity, conversation_sid: null });

    visitor.send({ type: "message", body: "Why was I charged twice?", client_id: "c1" });
    const ack = await visitor.until((v) => v.frames.find((f) => f.type === "ack"), "the ack");
    expect(ack).toMatchObject({ client_id: "c1", index: 0, duplicate: false });

    // The conversation becomes a task carrying the visitor's name and answers.
    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the chat task");
    const attributes = JSON.parse(task.attributes) as Record<string, unknown>;
    expect(attributes).toMatchObject({
      customerName: "Ada",
      pre_engagement_data: { topic: "billing" },
      channelType: "chat",
      from: session.body.identity,
    });
    const conversationSid = attributes.conversationSid as string;
    const [reservation] = await ws.tasks(task.sid).reservations.list();
    expect(reservation!.workerSid).toBe(alice.sid);
    await ws.tasks(task.sid).reservations(reservation!.sid).update({ reservationStatus: "accepted" });

    const conversation = client.conversations.v1.conversations(conversationSid);
    await conversation.participants.create({ identity: "alice" });
    await conversation.messages.create({ author: "alice", body: "Let me look into it." });
    await visitor.until((v) => (v.messages().length >= 2 ? true : undefined), "the agent's reply");
    expect(visitor.messages()).toEqual([
      `0 ${session.body.identity}: Why was I charged twice?`,
      "1 alice: Let me look into it.",
    ]);

    // Typing indicators travel both ways, and are never stored.
    const grant = await post(`/switchboard/v1/Workspaces/${workspace.sid}/StreamTokens`, {
      WorkerSid: alice.sid,
    });
    const agent = new WebSocket(grant.body.stream_url as string);
    const pushed: Array<{ type: string; conversation_sid?: string; identity?: string }> = [];
    agent.on("message", (data: Buffer) => pushed.push(JSON.parse(data.toString()) as (typeof pushed)[0]));
    await eventually(
      () => (pushed.some((m) => m.type === "ready") ? true : undefined),
      10_000,
      "the agent stream",
    );
    visitor.send({ type: "typing" });
    expect(
      await eventually(() => pushed.find((m) => m.type === "typing"), 10_000, "the visitor typing"),
    ).toEqual({ type: "typing", conversation_sid: conversationSid, identity: session.body.identity });
    expect(
      await post(`/switchboard/v1/Conversations/${conversationSid}/Typing`, { Identity: "alice" }),
    ).toMatchObject({ status: 204 });
    expect(await visitor.until((v) => v.frames.find((f) => f.type === "typing"), "the agent typing")).toEqual(
      { type: "typing", identity: "alice" },
    );
    expect(
      await post(`/switchboard/v1/Conversations/${conversationSid}/Typing`, { Identity: "mallory" }),
    ).toMatchObject({ status: 400 });
    agent.close();

    // The visitor's network drops; the agent writes meanwhile; the widget reconnects from index 1 and
    // resends the message it had sent just before the drop, whose ack it never saw.
    await visitor.close();
    await conversation.messages.create({ author: "alice", body: "Found it: a duplicate charge." });
    const back = await visit(`${session.body.socket_url as string}&after=1`);
    expect(back.ready()).toMatchObject({ conversation_sid: conversationSid });
    back.send({ type: "message", body: "Why was I charged twice?", client_id: "c1" });
    back.send({ type: "message", body: "Thank you!", client_id: "c2" });
    await back.until(
      (v) => (v.frames.filter((f) => f.type === "ack").length >= 2 ? true : undefined),
      "two acks",
    );
    expect(
      back.frames.filter((f) => f.type === "ack").map((f) => [f.client_id, f.index, f.duplicate]),
    ).toEqual([
      ["c1", 0, true],
      ["c2", 3, false],
    ]);
    await back.until(
      (v) => (v.messages().length >= 2 ? true : undefined),
      "the missed message and the new one",
    );
    expect(back.messages()).toEqual([
      "2 alice: Found it: a duplicate charge.",
      `3 ${session.body.identity}: Thank you!`,
    ]);
    expect((await conversation.messages.list()).map((m) => m.body)).toEqual([
      "Why was I charged twice?",
      "Let me look into it.",
      "Found it: a duplicate charge.",
      "Thank you!",
    ]);

    // A read mark from the widget reaches the conversation.
    back.send({ type: "read", index: 2 });
    await eventually(
      async () => {
        const participants = await conversation.participants.list();
        return participants.find((p) => p.lastReadMessageIndex === 2);
      },
      10_000,
      "the read mark",
    );
  });

  it("refuses sessions for unknown addresses and sockets with bad tokens", async () => {
    const refused = await post(
      "/switchboard/v1/WebChat/Sessions",
      { AccountSid: account.sid, Address: "nowhere" },
      false,
    );
    expect(refused).toMatchObject({ status: 404, body: { code: 20404 } });
    // Session starts are limited per client address (30 a minute by default).
    const statuses = [];
    for (let i = 0; i < 30; i++)
      statuses.push(
        (
          await post(
            "/switchboard/v1/WebChat/Sessions",
            { AccountSid: account.sid, Address: "nowhere" },
            false,
          )
        ).status,
      );
    expect(statuses.slice(-2)).toEqual([404, 429]);
    const socket = await visit(
      `${baseUrl.replace(/^http/, "ws")}/switchboard/v1/WebChat/Socket?token=forged`,
    );
    await socket.until((v) => v.closed, "the socket to close");
    expect(socket.closed).toMatchObject({ code: 4001, reason: "invalid token" });
  });
});
