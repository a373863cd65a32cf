import net from "node:net";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { Relay } from "./support/relay.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

const SUPPORT = "support@acme.test";
const CUSTOMER = "jane@customer.test";

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(dialects())("email on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let relay: Relay;
  let smtpPort: number;
  let client: ReturnType<typeof localTwilio>;
  const { post, get, upload } = apiCalls(
    () => baseUrl,
    () => account,
  );

  /** Mail as a customer's mail server would hand it to ours. */
  const deliver = (mail: SendMailOptions) =>
    nodemailer
      .createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true })
      .sendMail(mail);

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    smtpPort = await freePort();
    ({ switchboard, baseUrl } = await startServer(db, { SWITCHBOARD_SMTP_PORT: String(smtpPort) }));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    client = localTwilio(baseUrl, account.sid, account.token);
    relay = await new Relay().start();
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await relay.stop();
    await db.drop();
  });

  it("threads a customer's mail into a conversation and a task, and replies through the relay with threading headers", async () => {
    const { workspace, ws, workflow } = await supportDesk(client, 120, "channelType == 'email'");
    expect(
      await post("/v1/Configuration/Addresses", {
        Type: "email",
        Address: SUPPORT,
        "AutoCreation.Enabled": "true",
        "AutoCreation.WorkspaceSid": workspace.sid,
        "AutoCreation.WorkflowSid": workflow.sid,
      }),
    ).toMatchObject({ status: 201 });
    expect(
      await post("/switchboard/v1/Messaging/Providers", {
        Type: "smtp",
        Host: "127.0.0.1",
        Port: String(relay.port),
        Username: "relay-user",
        Password: "relay-pass",
        Addresses: SUPPORT,
      }),
    ).toMatchObject({ status: 201, body: { type: "smtp", secure: null } });

    const first = {
      from: `Jane Doe <${CUSTOMER}>`,
      to: SUPPORT,
      subject: "Order 1234 never arrived",
      text: "Hello, my order 1234 has not arrived yet.",
      messageId: "<m1@customer.test>",
      attachments: [{ filename: "receipt.txt", content: "paid 20 EUR" }],
    };
    await deliver(first);
    // The sending server retries (it never saw our answer): nothing is added twice.
    await deliver(first);
    // Mail to an address nobody configured is refused at RCPT.
    await expect(
      deliver({ ...first, to: "nobody@acme.test", messageId: "<m0@customer.test>" }),
    ).rejects.toMatchObject({
      responseCode: 550,
    });

    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the email task");
    expect(task.taskChannelUniqueName).toBe("email");
    const attributes = JSON.parse(task.attributes) as Record<string, string>;
    expect(attributes).toMatchObject({ channelType: "email", from: CUSTOMER, direction: "inbound" });
    const conversation = client.conversations.v1.conversations(attributes.conversationSid!);
    const [received] = await conversation.messages.list();
    expect(received).toMatchObject({ author: CUSTOMER, body: "Hello, my order 1234 has not arrived yet." });
    expect(JSON.parse(received!.attributes)).toMatchObject({
      subject: "Order 1234 never arrived",
      from_name: "Jane Doe",
      attachments: [{ filename: "receipt.txt", content_type: "text/plain", size: 11 }],
    });
    // The attachment itself is kept, as the message's media.
    expect(received!.media).toEqual([
      {
        sid: expect.stringMatching(/^ME[0-9a-f]{32}$/),
        content_type: "text/plain",
        filename: "receipt.txt",
        size: 11,
        category: "media",
      },
    ]);
    const attachment = (received!.media as Array<{ sid: string }>)[0]!;
    const content = await fetch(`${baseUrl}/switchboard/v1/Media/${attachment.sid}/Content`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString("base64")}`,
      },
    });
    expect(await content.text()).toBe("paid 20 EUR");

    // The agent answers: the reply leaves through the relay, threaded under the customer's mail.
    await conversation.participants.create({ identity: "alice" });
    const label = await upload(Buffer.from("%PDF-1.4 shipping label"), "application/pdf", "label.pdf");
    expect(label.status).toBe(201);
    const reply = await conversation.messages.create({
      author: "alice",
      body: "It ships today, sorry for the wait.",
      mediaSid: label.body.sid as string,
    });
    const sent = await eventually(() => relay.received.at(0), 10_000, "the reply at the relay");
    expect(sent.from?.value[0]?.address).toBe(SUPPORT);
    expect(sent.to).toMatchObject({ value: [{ address: CUSTOMER }] });
    expect(sent.subject).toBe("Re: Order 1234 never arrived");
    expect(sent.text?.trim()).toBe("It ships today, sorry for the wait.");
    expect(sent.inReplyTo).toBe("<m1@customer.test>");
    expect([sent.references].flat()).toContain("<m1@customer.test>");
    expect(sent.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([
      ["label.pdf", "application/pdf", "%PDF-1.4 shipping label"],
    ]);
    expect(sent.messageId).toMatch(new RegExp(`^<${reply.sid}\\.SM[0-9a-f]{32}@acme\\.test>$`));
    const receipts = await eventually(async () => {
      const listed = await get(
        `/v1/Conversations/${attributes.conversationSid}/Messages/${reply.sid}/Receipts`,
      );
      return listed.body.delivery_receipts?.[0]?.status === "sent"
        ? listed.body.delivery_receipts
        : undefined;
    });
    expect(receipts).toHaveLength(1);

    // A colleague CC'd on the thread answers our reply: it joins the same conversation.
    await deliver({
      from: "bob@customer.test",
      to: SUPPORT,
      subject: "Re: Order 1234 never arrived",
      text: "Thanks, I will tell Jane.",
      messageId: "<m2@customer.test>",
      inReplyTo: sent.messageId,
      references: ["<m1@customer.test>", sent.messageId!],
    });
    const thread = await eventually(async () => {
      const listed = await conversation.messages.list();
      return listed.length === 3 ? listed : undefined;
    });
    expect(thread.map((m) => m.author)).toEqual([CUSTOMER, "alice", "bob@customer.test"]);
    expect(await client.conversations.v1.conversations.list()).toHaveLength(1);
    expect(await ws.tasks.list()).toHaveLength(1);
  });
});
