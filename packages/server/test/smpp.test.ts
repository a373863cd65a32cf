import smpp from "smpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { supportDesk } from "./support/desk.ts";
import { eventually, startServer } from "./support/server.ts";
import { Smsc } from "./support/smsc.ts";
import { localTwilio } from "./support/twilio-client.ts";

const OUR_NUMBER = "+15550002222";
const CUSTOMER = "+447700900123";

describe.each(dialects())("SMS through an SMSC over SMPP on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let smsc: Smsc;
  let client: ReturnType<typeof localTwilio>;
  const { post } = apiCalls(
    () => baseUrl,
    () => account,
  );

  const connect = async (password = smsc.password) => {
    const created = await post("/switchboard/v1/Messaging/Providers", {
      Type: "smpp",
      FriendlyName: "Carrier SMSC",
      Host: "127.0.0.1",
      Port: String(smsc.port),
      Username: smsc.systemId,
      Password: password,
      Addresses: OUR_NUMBER,
    });
    expect(created.status).toBe(201);
    return created.body;
  };
  const send = (body: string) => client.messages.create({ to: CUSTOMER, from: OUR_NUMBER, body });
  const statusOf = async (sid: string) => (await client.messages(sid).fetch()).status;
  const reaches = (sid: string, status: string) =>
    eventually(async () => ((await statusOf(sid)) === status ? true : undefined), 10_000, `status ${status}`);

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db, {
      SWITCHBOARD_MESSAGING_BACKOFF_BASE_MS: "50",
      SWITCHBOARD_SMPP_RECONNECT_BASE_MS: "50",
    }));
    const created = await switchboard.accounts.create({ friendlyName: "Acme" });
    account = { sid: created.sid, token: created.authToken };
    client = localTwilio(baseUrl, account.sid, account.token);
    smsc = await new Smsc().start();
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await smsc.stop();
    await db.drop();
  });

  it("binds, submits texts in the right alphabet and follows the SMSC's delivery receipts", async () => {
    const provider = await connect();
    expect(provider).toMatchObject({
      type: "smpp",
      host: "127.0.0.1",
      port: smsc.port,
      username: "switchboard",
    });
    expect(provider).not.toHaveProperty("inbound_url");
    await eventually(() => (smsc.bound ? true : undefined), 10_000, "the bind");

    const short = await send("Your order has shipped");
    const unicode = await send("Merci, à bientôt");
    const long = await send("x".repeat(200));
    await reaches(long.sid, "sent");
    await reaches(short.sid, "sent");
    await reaches(unicode.sid, "sent");
    const byText = new Map(smsc.submitted.map((s) => [s.text, s]));
    expect(byText.get("Your order has shipped")).toMatchObject({
      source: "15550002222",
      destination: "447700900123",
      dataCoding: smpp.ENCODING.SMSC_DEFAULT,
      payload: false,
      registeredDelivery: 1,
    });
    expect(byText.get("Merci, à bientôt")).toMatchObject({ dataCoding: smpp.ENCODING.UCS2, payload: false });
    expect(byText.get("x".repeat(200))).toMatchObject({ payload: true });
    // SMPP carries no media: refused up front, not dropped on the way.
    const withMedia = await post(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      To: CUSTOMER,
      From: OUR_NUMBER,
      Body: "see attached",
      MediaUrl: "https://example.com/receipt.png",
    });
    expect(withMedia).toMatchObject({ status: 400, body: { code: 21620 } });
    expect(long.numSegments).toBe("2");

    expect(await smsc.receipt(byText.get("Your order has shipped")!.messageId, "DELIVRD")).toBe(0);
    await reaches(short.sid, "delivered");
    expect(await smsc.receipt(byText.get("Merci, à bientôt")!.messageId, "UNDELIV", "001")).toBe(0);
    await reaches(unicode.sid, "undelivered");
    expect(await client.messages(unicode.sid).fetch()).toMatchObject({
      errorCode: 30003,
      errorMessage: "Unreachable destination handset (SMSC error 001)",
    });
  });

  it("retries what the SMSC throttles, fails what it refuses, and resends after the link drops", async () => {
    await connect();
    await eventually(() => (smsc.bound ? true : undefined), 10_000, "the bind");
    smsc.answers.push(smpp.errors.ESME_RTHROTTLED!);
    const throttled = await send("first");
    await reaches(throttled.sid, "sent");

    smsc.answers.push(smpp.errors.ESME_RINVDSTADR!);
    const refused = await send("second");
    await reaches(refused.sid, "failed");
    expect(await client.messages(refused.sid).fetch()).toMatchObject({
      errorCode: 21211,
      errorMessage: "The SMSC refused it: ESME_RINVDSTADR (0x000b)",
    });

    // The link drops; a message sent meanwhile waits and goes out once the link is back.
    smsc.dropAll();
    const during = await send("third");
    await reaches(during.sid, "sent");
    expect(smsc.binds).toBeGreaterThanOrEqual(2);
    expect(smsc.submitted.map((s) => s.text)).toEqual(["first", "third"]);
  });

  it("takes customers' texts, joins concatenated parts, and answers each part only once stored", async () => {
    await connect();
    const { workspace, ws, workflow } = await supportDesk(client, 120, "channelType == 'sms'");
    await post("/v1/Configuration/Addresses", {
      Type: "sms",
      Address: OUR_NUMBER,
      "AutoCreation.Enabled": "true",
      "AutoCreation.WorkspaceSid": workspace.sid,
      "AutoCreation.WorkflowSid": workflow.sid,
    });
    await eventually(() => (smsc.bound ? true : undefined), 10_000, "the bind");

    const text = "Hello, I would like to change the delivery address of my order to 10 Downing Street";
    expect(await smsc.mobileOriginated(CUSTOMER, OUR_NUMBER, text, 3)).toEqual([0, 0, 0]);
    expect(await smsc.mobileOriginated(CUSTOMER, OUR_NUMBER, "Thanks")).toEqual([0]);

    const task = await eventually(async () => (await ws.tasks.list()).at(0), 10_000, "the SMS task");
    const attributes = JSON.parse(task.attributes) as Record<string, string>;
    expect(attributes).toMatchObject({ channelType: "sms", from: CUSTOMER });
    const messages = await client.conversations.v1.conversations(attributes.conversationSid!).messages.list();
    expect(messages.map((m) => m.body)).toEqual([text, "Thanks"]);
    const inbound = await client.messages.list({ from: CUSTOMER });
    expect(inbound.map((m) => m.body).sort()).toEqual([text, "Thanks"].sort());
    expect(inbound.every((m) => m.direction === "inbound" && m.to === OUR_NUMBER)).toBe(true);
  });

  it("keeps messages queued while the SMSC refuses the bind, and sends them once the password is right", async () => {
    const provider = await connect("wrong");
    const queued = await send("Your appointment is confirmed");
    await eventually(async () =>
      (await client.messages(queued.sid).fetch()).errorMessage ? true : undefined,
    );
    expect(await statusOf(queued.sid)).toBe("queued");
    expect(smsc.binds).toBe(0);

    expect(
      await post(`/switchboard/v1/Messaging/Providers/${provider.sid}`, { Password: smsc.password }),
    ).toMatchObject({ status: 200 });
    await reaches(queued.sid, "sent");
    expect(smsc.submitted.map((s) => s.text)).toEqual(["Your appointment is confirmed"]);
  });
});
