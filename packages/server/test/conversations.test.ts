import fs from "node:fs";
import path from "node:path";
import { sequentialSids } from "@switchboard/engine";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { autoCreation } from "../src/conversations/addresses.ts";
import { InboundRouter } from "../src/conversations/inbound.ts";
import { ConversationStore } from "../src/conversations/store.ts";
import { MediaStore } from "../src/media/store.ts";
import { Database } from "../src/platform/db/database.ts";
import { EventLog } from "../src/platform/events/event-log.ts";
import { isoAt } from "../src/platform/time.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually, SkippingClock, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

type Client = ReturnType<typeof localTwilio>;

/** The SDK's error for a refused request, with Twilio's code and status. */
async function refusal(work: Promise<unknown>): Promise<{ status: number; code: number; message: string }> {
  try {
    await work;
  } catch (error) {
    const { status, code, message } = error as { status: number; code: number; message: string };
    return { status, code, message };
  }
  throw new Error("expected the request to be refused");
}

const CARD = "4111111111111111";

describe.each(dialects())("Conversations API on $dialect", ({ dialect, unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let client: Client;
  let receiver: WebhookReceiver;

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    ({ switchboard, baseUrl } = await startServer(db));
    const account = await switchboard.accounts.create({ friendlyName: "Messaging" });
    client = localTwilio(baseUrl, account.sid, account.authToken);
    receiver = await new WebhookReceiver().start();
  });

  /** An account whose SMS number +15005550100 starts a conversation for each new sender. */
  async function smsAccount(friendlyName: string) {
    const account = await switchboard.accounts.create({ friendlyName });
    await switchboard.addresses.create(account.sid, {
      type: "sms",
      address: "+15005550100",
      autoCreation: autoCreation({}),
    });
    return account;
  }

  afterEach(async () => {
    if (unavailable) return;
    await receiver.stop();
    await switchboard.close();
    await db.drop();
  });

  it("creates, finds (by SID or unique name), lists, updates and deletes conversations", async () => {
    const conversations = client.conversations.v1.conversations;
    const created = await conversations.create({
      friendlyName: "Order 1234",
      uniqueName: "order-1234",
      attributes: JSON.stringify({ order: 1234 }),
    });
    expect(created).toMatchObject({
      sid: expect.stringMatching(/^CH[0-9a-f]{32}$/),
      friendlyName: "Order 1234",
      uniqueName: "order-1234",
      attributes: '{"order":1234}',
      state: "active",
      timers: {},
    });
    expect(created.links.messages).toBe(`${created.url}/Messages`);
    expect((await conversations("order-1234").fetch()).sid).toBe(created.sid);

    expect(await refusal(conversations.create({ uniqueName: "order-1234" }))).toMatchObject({
      status: 409,
      code: 50353,
    });
    expect(await refusal(conversations.create({ attributes: "{not json" }))).toMatchObject({
      status: 400,
      code: 20001,
    });

    const other = await conversations.create({ friendlyName: "Other" });
    await conversations(other.sid).update({ state: "closed" });
    expect((await conversations.list({ state: "active" })).map((c) => c.sid)).toEqual([created.sid]);
    expect((await conversations.list({ pageSize: 1 })).map((c) => c.sid)).toEqual([created.sid, other.sid]);

    const updated = await conversations(created.sid).update({ friendlyName: "Order 1234 (VIP)" });
    expect(updated).toMatchObject({ friendlyName: "Order 1234 (VIP)", uniqueName: "order-1234" });
    expect(await refusal(conversations(other.sid).update({ state: "active" }))).toMatchObject({
      status: 409,
    });

    await conversations(created.sid).remove();
    expect(await refusal(conversations(created.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it("keeps an address bound to one open conversation per proxy address", async () => {
    const conversations = client.conversations.v1.conversations;
    const first = await conversations.create({ friendlyName: "SMS with Ada" });
    const sms = {
      "messagingBinding.address": "+15005550006",
      "messagingBinding.proxyAddress": "+15005550001",
    };
    const customer = await conversations(first.sid).participants.create(sms);
    expect(customer).toMatchObject({
      sid: expect.stringMatching(/^MB[0-9a-f]{32}$/),
      identity: null,
      messagingBinding: { type: "sms", address: "+15005550006", proxy_address: "+15005550001" },
    });
    const agent = await conversations(first.sid).participants.create({ identity: "agent.li" });
    expect(agent).toMatchObject({ identity: "agent.li", messagingBinding: null });
    expect((await conversations(first.sid).participants("agent.li").fetch()).sid).toBe(agent.sid);

    expect(
      await refusal(conversations(first.sid).participants.create({ identity: "agent.li" })),
    ).toMatchObject({
      status: 409,
      code: 50433,
    });
    const second = await conversations.create({ friendlyName: "Second" });
    const taken = await refusal(conversations(second.sid).participants.create(sms));
    expect(taken).toMatchObject({ status: 409, code: 50416 });
    expect(taken.message).toContain(first.sid);
    expect(
      await refusal(
        conversations(second.sid).participants.create({ "messagingBinding.address": "+15005550006" }),
      ),
    ).toMatchObject({ status: 400, code: 20001 });
    // The same customer through another of our numbers is another conversation.
    await conversations(second.sid).participants.create({
      ...sms,
      "messagingBinding.proxyAddress": "+15005550002",
    });

    // Closing the first conversation frees the pair.
    await conversations(first.sid).update({ state: "closed" });
    const third = await conversations.create({ friendlyName: "Third" });
    await conversations(third.sid).participants.create(sms);
    expect(
      await refusal(conversations(first.sid).participants.create({ identity: "late.agent" })),
    ).toMatchObject({ status: 409 });

    await conversations(first.sid).participants(agent.sid).remove();
    expect((await conversations(first.sid).participants.list()).map((p) => p.sid)).toEqual([customer.sid]);
  });

  it("numbers messages, pages them in either order and masks card numbers before storing them", async () => {
    const conversation = client.conversations.v1.conversations(
      (await client.conversations.v1.conversations.create({ friendlyName: "Chat" })).sid,
    );
    const customer = await conversation.participants.create({ identity: "customer-42" });
    const sent = [];
    for (const body of ["hello", `my card is ${CARD.replace(/(\d{4})/g, "$1 ").trim()} exp 12/29`, "thanks"])
      sent.push(await conversation.messages.create({ author: "customer-42", body }));
    expect(sent.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(sent[0]).toMatchObject({
      sid: expect.stringMatching(/^IM[0-9a-f]{32}$/),
      author: "customer-42",
      participantSid: customer.sid,
      attributes: "{}",
    });
    expect(sent[1]!.body).toBe("my card is **** **** **** 1111 exp 12/29");
    const system = await conversation.messages.create({ body: "An agent will be with you shortly" });
    expect(system).toMatchObject({ author: "system", participantSid: null, index: 3 });

    expect((await conversation.messages.list({ pageSize: 2 })).map((m) => m.index)).toEqual([0, 1, 2, 3]);
    expect((await conversation.messages.list({ order: "desc", pageSize: 3 })).map((m) => m.index)).toEqual([
      3, 2, 1, 0,
    ]);

    const edited = await conversation.messages(sent[2]!.sid).update({ body: `again: ${CARD}` });
    expect(edited.body).toBe("again: ************1111");
    await conversation.messages(sent[0]!.sid).remove();
    const next = await conversation.messages.create({ author: "customer-42", body: "still there?" });
    expect(next.index).toBe(4); // indexes are never reused
    expect(await refusal(conversation.messages.create({ author: "x" }))).toMatchObject({ status: 400 });

    // Nowhere in the database, events included, is the card number.
    const tables = await switchboard.database.db.introspection.getTables();
    for (const table of tables) {
      const rows = await switchboard.database.db
        .selectFrom(table.name as "events")
        .selectAll()
        .execute();
      expect(JSON.stringify(rows).replace(/\D/g, "")).not.toContain(CARD);
    }
    if (dialect === "sqlite") {
      for (const file of fs.readdirSync(db.dataDir))
        expect(fs.readFileSync(path.join(db.dataDir, file)).includes(CARD)).toBe(false);
    }
  });

  it("refuses messages for a conversation closed after its row was read, keeping none of the batch", async () => {
    const { sid } = await client.conversations.v1.conversations.create({ friendlyName: "Closing" });
    const open = await client.conversations.v1.conversations.create({ friendlyName: "Open" });
    const store = switchboard.conversations;
    const account = (
      await switchboard.database.db
        .selectFrom("conversations")
        .select("account_sid")
        .executeTakeFirstOrThrow()
    ).account_sid;
    const read = new Map(
      await Promise.all([sid, open.sid].map(async (s) => [s, (await store.get(account, s))!] as const)),
    );
    await client.conversations.v1.conversations(sid).update({ state: "closed" });

    const stale = switchboard.database.transaction((tx) =>
      store.addMessages(
        tx,
        [open.sid, sid].map((s) => ({ conversation: read.get(s)!, input: { body: "late" } })),
        read,
      ),
    );
    await expect(stale).rejects.toMatchObject({ status: 409, message: expect.stringContaining(sid) });
    const messages = await switchboard.database.db.selectFrom("conversation_messages").selectAll().execute();
    expect(messages).toEqual([]);
  });

  it("advances each conversation of a batch by its own message count and sets its own timers", async () => {
    const conversations = client.conversations.v1.conversations;
    const made = await Promise.all([
      conversations.create({ friendlyName: "Plain" }),
      conversations.create({ friendlyName: "Short", "timers.inactive": "PT5M", "timers.closed": "PT1H" }),
      conversations.create({ friendlyName: "Long", "timers.inactive": "PT10M", "timers.closed": "PT2H" }),
      conversations.create({ friendlyName: "Short too", "timers.inactive": "PT5M", "timers.closed": "PT1H" }),
    ]);
    const store = switchboard.conversations;
    const account = made[0].accountSid;
    const read = new Map(
      await Promise.all(made.map(async (c) => [c.sid, (await store.get(account, c.sid))!] as const)),
    );
    // Plain and Long take two messages, Short and Short too one each: four different updates, where
    // Short and Short too share one.
    const order = [0, 1, 2, 0, 3, 2];
    const before = Date.now();
    const added = await switchboard.database.transaction((tx) =>
      store.addMessages(
        tx,
        order.map((i) => ({ conversation: read.get(made[i]!.sid)!, input: { body: `to ${i}` } })),
        read,
      ),
    );
    expect(added.map((m) => [m.conversation_sid, m.message_index])).toEqual(
      order.map((i, n) => [made[i]!.sid, order.slice(0, n).filter((j) => j === i).length]),
    );
    const rows = await switchboard.database.db
      .selectFrom("conversations")
      .select(["sid", "next_message_index", "date_inactive", "date_closed"])
      .where("account_sid", "=", account)
      .execute();
    const row = (i: number) => rows.find((r) => r.sid === made[i]!.sid)!;
    const after = (date: string | null) => (date === null ? null : Date.parse(date) - before);
    expect(rows.map((r) => r.next_message_index).sort()).toEqual([1, 1, 2, 2]);
    expect(row(0)).toMatchObject({ next_message_index: 2, date_inactive: null, date_closed: null });
    for (const [i, inactive, closed] of [
      [1, 5, 60],
      [2, 10, 120],
      [3, 5, 60],
    ] as const) {
      expect(after(row(i).date_inactive)).toBeGreaterThanOrEqual(inactive * 60_000);
      expect(after(row(i).date_inactive)).toBeLessThan(inactive * 60_000 + 60_000);
      expect(after(row(i).date_closed)).toBeGreaterThanOrEqual(closed * 60_000);
      expect(after(row(i).date_closed)).toBeLessThan(closed * 60_000 + 60_000);
    }
  });

  it("stores each sender's inbound messages in arrival order when lanes store batches side by side", async () => {
    const account = await smsAccount("Lanes");
    const lanes = new InboundRouter(switchboard.conversations, switchboard.addresses, 4);
    // Ten senders, 250 messages each, all handed over in one turn: more than one batch per lane,
    // so a sender whose messages were spread over lanes would see later ones committed first.
    const senders = Array.from({ length: 10 }, (_, n) => `+1555010${String(n).padStart(4, "0")}`);
    const received = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        senders.map((from) =>
          lanes.receive(account.sid, { channel: "sms", from, to: "+15005550100", body: `${from} ${i}` }),
        ),
      ).flat(),
    );
    expect(received.filter((r) => r.duplicate)).toEqual([]);
    for (const from of senders) {
      const rows = await switchboard.database.db
        .selectFrom("conversation_messages")
        .select(["body", "message_index"])
        .where("account_sid", "=", account.sid)
        .where("author", "=", from)
        .orderBy("message_index")
        .execute();
      expect(rows.map((row) => row.body)).toEqual(Array.from({ length: 250 }, (_, i) => `${from} ${i}`));
      expect(rows.map((row) => row.message_index)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    }
  });

  it("numbers customers' messages and agents' replies to the same conversations once each, written side by side", async () => {
    const account = await smsAccount("Side by side");
    const lanes = new InboundRouter(switchboard.conversations, switchboard.addresses, 2);
    const senders = Array.from({ length: 4 }, (_, n) => `+1555020${String(n).padStart(4, "0")}`);
    const inbound = (from: string, body: string) =>
      lanes.receive(account.sid, { channel: "sms", from, to: "+15005550100", body });
    const started = await Promise.all(senders.map((from) => inbound(from, "hello")));
    // On Postgres, customers' messages to open conversations are numbered from the counters as read
    // and written in one statement; the agents' replies move the same counters in between, which
    // sends the customers' groups to the transaction rather than failing them.
    const customer = (from: string, body: string) =>
      switchboard.conversations.receive(
        [{ accountSid: account.sid, inbound: { channel: "sms", from, to: "+15005550100", body } }],
        () => Promise.resolve(undefined),
      );
    await Promise.all(
      started.flatMap(({ conversation }, n) => [
        (async () => {
          for (let i = 0; i < 40; i++) await customer(senders[n]!, `customer ${i}`);
        })(),
        ...Array.from({ length: 40 }, (_, i) =>
          switchboard.conversations.addMessage(conversation, { author: "agent", body: `agent ${i}` }),
        ),
      ]),
    );
    for (const [n, { conversation }] of started.entries()) {
      const rows = await switchboard.database.db
        .selectFrom("conversation_messages")
        .select(["author", "body", "message_index"])
        .where("account_sid", "=", account.sid)
        .where("conversation_sid", "=", conversation.sid)
        .orderBy("message_index")
        .execute();
      expect(rows.map((row) => row.message_index)).toEqual(Array.from({ length: 81 }, (_, i) => i));
      expect(rows.filter((row) => row.author === senders[n]).map((row) => row.body)).toEqual([
        "hello",
        ...Array.from({ length: 40 }, (_, i) => `customer ${i}`),
      ]);
      expect(rows.filter((row) => row.author === "agent")).toHaveLength(40);
      const counter = await switchboard.conversations.get(account.sid, conversation.sid);
      expect(counter?.next_message_index).toBe(81);
      // Every message's event carries its index, once.
      const events = await switchboard.events.list(
        account.sid,
        { eventType: "conversation.message.added", data: { ConversationSid: conversation.sid } },
        { limit: 200 },
      );
      expect(events.map((event) => Number(event.data.Index)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 81 }, (_, i) => i),
      );
    }
  });

  it("stores a group of inbound messages to open conversations, a redelivery recognised, an inactive one woken", async () => {
    const account = await smsAccount("Groups");
    const lanes = new InboundRouter(switchboard.conversations, switchboard.addresses);
    const senders = ["+15550300001", "+15550300002", "+15550300003"];
    const inbound = (from: string, body: string, externalId?: string) =>
      lanes.receive(account.sid, { channel: "sms", from, to: "+15005550100", body, externalId });
    await Promise.all(senders.map((from, n) => inbound(from, "hello", `first-${n}`)));
    const quiet = await inbound(senders[0]!, "then quiet");
    await switchboard.conversations.update(account.sid, quiet.conversation.sid, { state: "inactive" });
    // On Postgres a redelivery in the group sends the group to the transaction, which recognises it.
    const group = await Promise.all([
      inbound(senders[0]!, "back again"),
      inbound(senders[1]!, "one"),
      inbound(senders[1]!, "two"),
      inbound(senders[2]!, "redelivered", "first-2"),
    ]);
    expect(group.map(({ message, duplicate }) => [message.body, message.message_index, duplicate])).toEqual([
      ["back again", 2, false],
      ["one", 1, false],
      ["two", 2, false],
      ["hello", 0, true],
    ]);
    const again = await Promise.all([
      inbound(senders[0]!, "still here"),
      inbound(senders[2]!, "me too", "x"),
    ]);
    expect(again.map(({ message }) => message.message_index)).toEqual([3, 1]);
    expect(await switchboard.conversations.get(account.sid, quiet.conversation.sid)).toMatchObject({
      state: "active",
      next_message_index: 4,
    });
    const changes = await switchboard.events.list(
      account.sid,
      { eventType: "conversation.state-updated", data: { ConversationSid: quiet.conversation.sid } },
      { limit: 10 },
    );
    expect(changes.map((event) => [event.data.StateFrom, event.data.StateTo])).toEqual([
      ["inactive", "active"],
      ["active", "inactive"],
    ]);
  });

  it("stores a group of inbound messages to open conversations in two statements on Postgres", async (context) => {
    if (dialect !== "postgres") return context.skip();
    const account = await smsAccount("Two statements");
    // A store on connections that name themselves, so the count leaves out the consumers' statements.
    const url = new URL(db.url);
    url.searchParams.set("application_name", "inbound-under-test");
    const database = Database.open(url.toString());
    const clock = new SkippingClock();
    const store = new ConversationStore(
      database,
      new EventLog(database, sequentialSids(7000), clock),
      sequentialSids(8000),
      clock,
      new MediaStore(database, sequentialSids(9000), clock),
    );
    const lanes = new InboundRouter(store, switchboard.addresses);
    const senders = ["+15550400001", "+15550400002"];
    const inbound = (from: string, body: string) =>
      lanes.receive(account.sid, { channel: "sms", from, to: "+15005550100", body, externalId: body });
    await Promise.all(senders.map((from) => inbound(from, `hello from ${from}`)));
    const statements = vi.spyOn(pg.Client.prototype, "query");
    try {
      const group = await Promise.all([inbound(senders[0]!, "one"), inbound(senders[1]!, "two")]);
      expect(group.map(({ message }) => message.message_index)).toEqual([1, 1]);
      const ours = statements.mock.contexts.filter(
        (client) =>
          (client as { connectionParameters: { application_name?: string } }).connectionParameters
            .application_name === "inbound-under-test",
      );
      expect(ours).toHaveLength(2);
    } finally {
      statements.mockRestore();
      await database.close();
    }
  });

  it("delivers a conversation's events to its webhooks, signed, with Twilio's event names", async () => {
    const conversations = client.conversations.v1.conversations;
    const { sid } = await conversations.create({ friendlyName: "Hooked" });
    const hook = await conversations(sid).webhooks.create({
      target: "webhook",
      "configuration.url": `${receiver.url}messages`,
      "configuration.filters": ["onMessageAdded"],
    });
    expect(hook).toMatchObject({
      sid: expect.stringMatching(/^WH[0-9a-f]{32}$/),
      target: "webhook",
      configuration: { url: `${receiver.url}messages`, method: "POST", filters: ["onMessageAdded"] },
    });
    await conversations(sid).webhooks.create({
      target: "trigger",
      "configuration.url": `${receiver.url}trigger`,
      "configuration.triggers": ["agent", "human"],
    });
    expect(
      await refusal(
        conversations(sid).webhooks.create({
          target: "webhook",
          "configuration.filters": ["onMessageAdded"],
        }),
      ),
    ).toMatchObject({ status: 400 });
    // Another conversation's events do not reach these webhooks.
    const elsewhere = await conversations.create({ friendlyName: "Elsewhere" });
    await conversations(elsewhere.sid).messages.create({ body: "agent please" });

    await conversations(sid).participants.create({ identity: "customer-7" });
    await conversations(sid).messages.create({ author: "customer-7", body: "Hi" });
    await conversations(sid).messages.create({ author: "customer-7", body: "Agent please" });

    const received = await eventually(
      () => (receiver.received.length >= 3 ? receiver.received : undefined),
      10_000,
      "three webhook requests",
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more should come
    const byPath = (p: string) => receiver.received.filter((r) => r.url.endsWith(p)).map((r) => r.params);
    expect(byPath("messages").map((p) => [p.EventType, p.Body, p.Index])).toEqual([
      ["onMessageAdded", "Hi", "0"],
      ["onMessageAdded", "Agent please", "1"],
    ]);
    expect(byPath("trigger").map((p) => p.Body)).toEqual(["Agent please"]);
    expect(received.every((r) => typeof r.headers["x-twilio-signature"] === "string")).toBe(true);
    expect(byPath("messages")[0]).toMatchObject({
      ConversationSid: sid,
      Author: "customer-7",
      Source: "API",
    });

    await conversations(sid).webhooks(hook.sid).remove();
    expect((await conversations(sid).webhooks.list()).map((w) => w.target)).toEqual(["trigger"]);
  });

  it("moves a quiet conversation to inactive, back to active on a message, and closes it", async () => {
    const conversations = client.conversations.v1.conversations;
    const created = await conversations.create({ "timers.inactive": "PT5M", "timers.closed": "PT1H" });
    expect(Date.parse(created.timers.date_inactive as string) - created.dateCreated.getTime()).toBeCloseTo(
      300_000,
      -4,
    );
    expect(await refusal(conversations.create({ "timers.closed": "PT1M" }))).toMatchObject({ status: 400 });

    // Let the inactivity timer fall due, as if five minutes had passed.
    const past = isoAt(Date.now() - 1000);
    await switchboard.database.db.updateTable("conversations").set({ date_inactive: past }).execute();
    await eventually(
      async () => ((await conversations(created.sid).fetch()).state === "inactive" ? true : undefined),
      5_000,
      "the inactive timer",
    );
    await conversations(created.sid).messages.create({ body: "back again" });
    const active = await conversations(created.sid).fetch();
    expect(active.state).toBe("active");
    expect(Date.parse(active.timers.date_inactive as string)).toBeGreaterThan(Date.now());

    await switchboard.database.db.updateTable("conversations").set({ date_closed: past }).execute();
    await eventually(
      async () => ((await conversations(created.sid).fetch()).state === "closed" ? true : undefined),
      5_000,
      "the close timer",
    );
    const events = await switchboard.events.list(
      created.accountSid,
      { scopeSid: created.sid },
      { limit: 50 },
    );
    expect(
      events
        .filter((e) => e.eventType === "conversation.state-updated")
        .map((e) => `${e.data.StateFrom}→${e.data.StateTo}`)
        .reverse(),
    ).toEqual(["active→inactive", "inactive→active", "active→closed"]);
  });

  it("keeps each account's conversations to itself", async () => {
    const { sid } = await client.conversations.v1.conversations.create({ uniqueName: "private" });
    const stranger = await switchboard.accounts.create({ friendlyName: "Stranger" });
    const other = localTwilio(baseUrl, stranger.sid, stranger.authToken);
    expect(await refusal(other.conversations.v1.conversations(sid).fetch())).toMatchObject({ status: 404 });
    expect(await refusal(other.conversations.v1.conversations("private").messages.list())).toMatchObject({
      status: 404,
    });
    expect(await other.conversations.v1.conversations.list()).toEqual([]);
    // The same unique name is free in another account.
    await other.conversations.v1.conversations.create({ uniqueName: "private" });
  });
});
