import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { MetaGraph, whatsappChange } from "./support/meta-graph.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

describe.each(dialects())("media on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let clock: SkippingClock;
  let client: ReturnType<typeof localTwilio>;
  const { post, get, upload } = apiCalls(
    () => baseUrl,
    () => account,
  );
  const env = { SWITCHBOARD_MEDIA_MAX_BYTES: "4096" };

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    clock = new SkippingClock();
    ({ switchboard, baseUrl } = await startServer(db, env, clock));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    client = localTwilio(baseUrl, account.sid, account.token);
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await db.drop();
  });

  it("keeps an upload, attaches it to one message, and serves it to the account or through a signed link", async () => {
    const uploaded = await upload(PNG, "image/png", "photo.png");
    expect(uploaded).toMatchObject({
      status: 201,
      body: {
        sid: expect.stringMatching(/^ME[0-9a-f]{32}$/),
        content_type: "image/png",
        filename: "photo.png",
        size: PNG.length,
        message_sid: null,
      },
    });
    const sid = uploaded.body.sid as string;
    const conversation = await client.conversations.v1.conversations.create({ friendlyName: "Photos" });
    const messages = client.conversations.v1.conversations(conversation.sid).messages;
    const message = await messages.create({ author: "alice", mediaSid: sid });
    expect(message.body).toBeNull();
    expect(message.media).toEqual([
      { sid, content_type: "image/png", filename: "photo.png", size: PNG.length, category: "media" },
    ]);
    expect((await messages(message.sid).fetch()).media).toEqual(message.media);
    expect((await get(`/switchboard/v1/Media/${sid}`)).body).toMatchObject({
      conversation_sid: conversation.sid,
      message_sid: message.sid,
    });

    // A file belongs to one message; unknown SIDs and other accounts' files are refused.
    await expect(messages.create({ author: "alice", mediaSid: sid })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(`belongs to message ${message.sid}`),
    });
    const other = await switchboard.accounts.create({ friendlyName: "Other" });
    const theirs = await apiCalls(
      () => baseUrl,
      () => ({ sid: other.sid, token: other.authToken }),
    ).upload("secret", "text/plain");
    expect((await get(`/switchboard/v1/Media/${theirs.body.sid}`)).status).toBe(404);
    await expect(
      messages.create({ author: "alice", mediaSid: theirs.body.sid as string }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("no such media in this account"),
    });
    expect(await messages.list()).toHaveLength(1);

    // The direct link needs no credentials, and says what the file is without letting it run.
    const direct = (await get(`/switchboard/v1/Media/${sid}`)).body.links.content_direct_temporary as string;
    const fetched = await fetch(direct);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(PNG);
    expect(fetched.headers.get("content-type")).toBe("image/png");
    expect(fetched.headers.get("x-content-type-options")).toBe("nosniff");
    expect(fetched.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''photo.png");
    expect((await fetch(direct.replace(/Signature=.{4}/, "Signature=AAAA"))).status).toBe(403);
    expect((await fetch(direct.replace(sid, theirs.body.sid as string))).status).toBe(403);
    const page = await upload("<script>alert(1)</script>", "text/html", "page.html");
    const served = await fetch(page.body.links.content_direct_temporary as string);
    expect(served.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(served.headers.get("content-security-policy")).toContain("sandbox");
    clock.skipMs = 10 * 60_000;
    expect((await fetch(direct)).status).toBe(403);

    // Bad uploads get Twilio's error body and keep nothing.
    expect((await upload(Buffer.alloc(0), "image/png")).body).toMatchObject({ status: 400, code: 20001 });
    expect((await upload(Buffer.alloc(5000), "image/png")).body).toMatchObject({ status: 413 });

    // Deleting the message deletes its file.
    await messages(message.sid).remove();
    expect((await get(`/switchboard/v1/Media/${sid}`)).status).toBe(404);
  });

  it("sweeps uploads no message took within a day", async () => {
    const kept = await upload(PNG, "image/png");
    const abandoned = await upload(PNG, "image/png");
    const conversation = await client.conversations.v1.conversations.create({});
    await client.conversations.v1
      .conversations(conversation.sid)
      .messages.create({ author: "alice", mediaSid: kept.body.sid as string });
    clock.skipMs = 25 * 3_600_000;
    await switchboard.close();
    ({ switchboard, baseUrl } = await startServer(db, env, clock));
    await eventually(async () =>
      (await get(`/switchboard/v1/Media/${abandoned.body.sid}`)).status === 404 ? true : undefined,
    );
    expect((await get(`/switchboard/v1/Media/${kept.body.sid}`)).status).toBe(200);
  });

  it("lets a web chat visitor send a file and see the agent's", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "chat",
        Address: "widget",
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "default",
      }),
    ).toMatchObject({ status: 201 });
    const session = await post(
      "/switchboard/v1/WebChat/Sessions",
      { AccountSid: account.sid, Address: "widget" },
      false,
    );
    const token = session.body.token as string;
    const visitorUpload = (bearer: string | undefined, content: Buffer) =>
      fetch(`${baseUrl}/switchboard/v1/WebChat/Media?Filename=screenshot.png`, {
        method: "POST",
        headers: { "Content-Type": "image/png", ...(bearer && { Authorization: `Bearer ${bearer}` }) },
        body: new Uint8Array(content),
      });
    expect((await visitorUpload(undefined, PNG)).status).toBe(401);
    const uploaded = await visitorUpload(token, PNG);
    expect(uploaded.status).toBe(201);
    const file = (await uploaded.json()) as { sid: string };

    const frames: Array<Record<string, any>> = [];
    const socket = new WebSocket(session.body.socket_url as string);
    socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString()) as Record<string, any>));
    await eventually(() => frames.find((f) => f.type === "ready"));
    // Another visitor's upload cannot ride on this visitor's message…
    const notTheirs = await post(
      "/switchboard/v1/WebChat/Sessions",
      { AccountSid: account.sid, Address: "widget" },
      false,
    );
    const strangers = (await (await visitorUpload(notTheirs.body.token as string, PNG)).json()) as {
      sid: string;
    };
    socket.send(JSON.stringify({ type: "message", media: [strangers.sid], client_id: "c0" }));
    expect(await eventually(() => frames.find((f) => f.type === "error"))).toMatchObject({
      message: expect.stringContaining("uploaded by someone else"),
    });
    // …but their own can, with or without words.
    socket.send(JSON.stringify({ type: "message", media: [file.sid], client_id: "c1" }));
    const ack = await eventually(() => frames.find((f) => f.type === "ack"));
    const own = await eventually(() => frames.find((f) => f.type === "message" && f.index === ack.index));
    expect(own.media).toEqual([
      expect.objectContaining({
        sid: file.sid,
        filename: "screenshot.png",
        url: expect.stringContaining(file.sid),
      }),
    ]);

    const [conversation] = await client.conversations.v1.conversations.list();
    const history = await client.conversations.v1.conversations(conversation!.sid).messages.list();
    expect(history[0]!.media).toEqual([
      expect.objectContaining({ sid: file.sid, content_type: "image/png" }),
    ]);

    const reply = await upload(Buffer.from("Step 1: restart"), "text/plain", "steps.txt");
    await client.conversations.v1
      .conversations(conversation!.sid)
      .messages.create({ author: "alice", body: "Try these steps", mediaSid: reply.body.sid as string });
    const shown = await eventually(() => frames.find((f) => f.type === "message" && f.author === "alice"));
    expect(shown.media).toHaveLength(1);
    // The widget fetches it by the link it was given, without credentials.
    const link = await fetch(baseUrl + (shown.media[0].url as string));
    expect(await link.text()).toBe("Step 1: restart");
    socket.close();
  });

  it("sends an agent's files to WhatsApp as media messages Meta fetches by link", async () => {
    const graph = await new MetaGraph().start();
    try {
      const number = { id: "106540352242922", display: "15550001111" };
      const provider = await post("/switchboard/v1/Messaging/Providers", {
        Type: "whatsapp",
        Username: number.id,
        Password: graph.accessToken,
        AppSecret: graph.appSecret,
        BaseUrl: graph.url,
        Addresses: "whatsapp:+15550001111",
      });
      const conversation = await client.conversations.v1.conversations.create({});
      const chat = client.conversations.v1.conversations(conversation.sid);
      await chat.participants.create({
        "messagingBinding.address": "whatsapp:+15557654321",
        "messagingBinding.proxyAddress": "whatsapp:+15550001111",
      });
      // The customer writes first, with a photo: Switchboard fetches it from Meta and keeps it.
      graph.media.set("1037543291543636", { content: PNG, mimeType: "image/png" });
      await graph.deliver(
        provider.body.webhook_url as string,
        whatsappChange(number, {
          messages: [
            { from: "15557654321", id: "wamid.in1", type: "text", text: { body: "Send me the invoice" } },
            {
              from: "15557654321",
              id: "wamid.in2",
              type: "image",
              image: { id: "1037543291543636", mime_type: "image/png", caption: "for this parcel" },
            },
          ],
        }),
      );
      const [, photoIn] = await chat.messages.list();
      expect(photoIn).toMatchObject({ author: "whatsapp:+15557654321", body: "for this parcel" });
      const kept = (photoIn!.media as Array<{ sid: string; content_type: string }>)[0]!;
      expect(kept.content_type).toBe("image/png");
      const keptContent = await fetch(
        (await get(`/switchboard/v1/Media/${kept.sid}`)).body.links.content_direct_temporary as string,
      );
      expect(Buffer.from(await keptContent.arrayBuffer())).toEqual(PNG);
      const invoice = await upload(Buffer.from("%PDF-1.4 invoice"), "application/pdf", "invoice.pdf");
      const photo = await upload(PNG, "image/png", "parcel.png");
      await chat.messages.create({
        author: "alice",
        body: "Here you are",
        mediaSid: [invoice.body.sid, photo.body.sid].join(","),
      });
      const parts = await eventually(() => (graph.submitted.length === 3 ? graph.submitted : undefined));
      expect(parts.map((p) => p.body.type)).toEqual(["text", "document", "image"]);
      expect(parts[1]!.body.document).toMatchObject({ filename: "invoice.pdf", link: expect.any(String) });
      const fetched = await fetch(parts[2]!.body.image.link as string);
      expect(Buffer.from(await fetched.arrayBuffer())).toEqual(PNG);
    } finally {
      await graph.stop();
    }
  });
});
