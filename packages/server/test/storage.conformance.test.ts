import { ManualClock, sequentialSids } from "@switchboard/engine";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AccountStore } from "../src/identity/accounts.ts";
import { ApiKeyStore } from "../src/identity/api-keys.ts";
import { Database } from "../src/platform/db/database.ts";
import { columnsOf, insertRows, onConflictUpdate } from "../src/platform/db/insert-rows.ts";
import { migrateToLatest } from "../src/platform/db/migrate.ts";
import { ConsumerCursors } from "../src/platform/events/cursors.ts";
import { EVENT_COLUMNS, EventLog } from "../src/platform/events/event-log.ts";
import { pageRequest } from "../src/platform/http/paging.ts";
import { SecretBox } from "../src/platform/secrets/secret-box.ts";
import { WebhookStore, type Claim } from "../src/webhooks/store.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";

/**
 * One contract, two databases: every store behaves the same on SQLite and on PostgreSQL.
 * Clock and SIDs are injected, so ordering and timing assertions are exact.
 */
describe.each(dialects())("storage conformance on $dialect", ({ dialect, unavailable, create }) => {
  let testDb: TestDatabase;
  let database: Database;
  let clock: ManualClock;
  let events: EventLog;
  let accounts: AccountStore;
  let apiKeys: ApiKeyStore;
  let webhooks: WebhookStore;
  let cursors: ConsumerCursors;

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    testDb = await create();
    database = Database.open(testDb.url);
    await migrateToLatest(database);
    clock = new ManualClock(Date.UTC(2026, 10, 21, 9, 0, 0));
    const ids = sequentialSids();
    events = new EventLog(database, ids, clock);
    accounts = new AccountStore(
      database,
      events,
      SecretBox.fromBase64(Buffer.alloc(32, 7).toString("base64")),
      ids,
      clock,
    );
    apiKeys = new ApiKeyStore(database, events, ids, clock);
    webhooks = new WebhookStore(database, events, ids, clock);
    cursors = new ConsumerCursors(database, clock);
  });

  /** An event about an account, as a test appends it. */
  const testEvent = (accountSid: string, description: string) => ({
    eventType: "test.happened",
    resourceType: "test",
    resourceSid: accountSid,
    description,
  });

  /** An account with a catch-all subscription and one API key created after it. */
  async function subscribedAccountWithOneKey() {
    const account = await accounts.create({ friendlyName: "A" });
    const webhook = await webhooks.create(account.sid, {
      url: "http://127.0.0.1:1/",
      friendlyName: "",
      eventTypes: [],
      status: "active",
    });
    await apiKeys.create(account.sid, "k");
    return { account, webhook };
  }

  afterEach(async () => {
    if (unavailable) return;
    await database.close();
    await testDb.drop();
  });

  it("migrates once and then reports the schema current", async () => {
    expect(database.dialect).toBe(dialect);
    expect(await migrateToLatest(database)).toEqual([]);
  });

  it("keeps auth tokens encrypted at rest and recoverable for signing", async () => {
    const account = await accounts.create({ friendlyName: "Acme" });
    expect(await accounts.authToken(account.sid)).toBe(account.authToken);
    const row = await database.db.selectFrom("accounts").selectAll().executeTakeFirstOrThrow();
    expect(row.auth_token_ciphertext).not.toContain(account.authToken);
    expect(await accounts.get(account.sid)).toMatchObject({
      sid: account.sid,
      friendlyName: "Acme",
      status: "active",
    });
  });

  it("serves an account row from memory for five seconds, then reads the database again", async () => {
    const account = await accounts.create({ friendlyName: "Acme" });
    expect((await accounts.get(account.sid))?.status).toBe("active");
    // The token is decrypted once per row read, not on every request.
    const opened = vi.spyOn(SecretBox.prototype, "open");
    for (let i = 0; i < 3; i++)
      expect((await accounts.withAuthToken(account.sid))?.authToken).toBe(account.authToken);
    expect(opened).toHaveBeenCalledTimes(1);
    // An operator suspends the account behind the server's back.
    await database.db.updateTable("accounts").set({ status: "suspended" }).execute();
    clock.advance(4_999);
    expect((await accounts.withAuthToken(account.sid))?.account.status).toBe("active");
    clock.advance(1);
    expect((await accounts.withAuthToken(account.sid))?.account.status).toBe("suspended");
    expect(opened).toHaveBeenCalledTimes(2);
    opened.mockRestore();
    // An unknown SID is asked of the database every time: it shows up as soon as it exists.
    const unknown = "AC" + "f".repeat(32);
    expect(await accounts.get(unknown)).toBeUndefined();
    await database.db
      .insertInto("accounts")
      .values({
        sid: unknown,
        friendly_name: "Later",
        status: "active",
        auth_token_ciphertext: "x",
        is_demo: 0,
        date_created: "2026-11-21T09:00:00Z",
        date_updated: "2026-11-21T09:00:00Z",
      })
      .execute();
    expect((await accounts.get(unknown))?.friendlyName).toBe("Later");
  });

  it("stores only a hash of API key secrets and verifies them", async () => {
    const account = await accounts.create({ friendlyName: "Acme" });
    const key = await apiKeys.create(account.sid, "ci");
    const row = await database.db.selectFrom("api_keys").selectAll().executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(key.secret);
    expect(await apiKeys.verify(key.sid, key.secret)).toBe(account.sid);
    expect(await apiKeys.verify(key.sid, key.secret + "x")).toBeUndefined();
    expect(await apiKeys.remove(account.sid, key.sid)).toBe(true);
    expect(await apiKeys.verify(key.sid, key.secret)).toBeUndefined();
  });

  it("scopes every API key operation to its account", async () => {
    const a = await accounts.create({ friendlyName: "A" });
    const b = await accounts.create({ friendlyName: "B" });
    const key = await apiKeys.create(a.sid, "a-key");
    expect(await apiKeys.get(b.sid, key.sid)).toBeUndefined();
    expect((await apiKeys.list(b.sid, pageRequest({}))).items).toEqual([]);
    expect(await apiKeys.update(b.sid, key.sid, { friendlyName: "stolen" })).toBeUndefined();
    expect(await apiKeys.remove(b.sid, key.sid)).toBe(false);
    expect(await apiKeys.get(a.sid, key.sid)).toMatchObject({ friendlyName: "a-key" });
  });

  it("pages by key: every row once, in creation order, even when rows arrive between pages", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await apiKeys.create(account.sid, `k${i}`)).sid);
      clock.advance(1000);
    }
    const first = await apiKeys.list(account.sid, pageRequest({ PageSize: 2 }));
    expect(first.items.map((k) => k.sid)).toEqual(created.slice(0, 2));
    created.push((await apiKeys.create(account.sid, "late")).sid);
    const seen = [...first.items.map((k) => k.sid)];
    let next = first.nextKey;
    while (next) {
      const token = "PT" + Buffer.from(JSON.stringify(next)).toString("base64url");
      const page = await apiKeys.list(account.sid, pageRequest({ PageSize: 2, PageToken: token }));
      seen.push(...page.items.map((k) => k.sid));
      next = page.nextKey;
    }
    expect(seen).toEqual(created);
  });

  it("writes events in the same transaction as the state: a rollback leaves neither", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const before = await events.head();
    await expect(
      database.transaction(async (tx) => {
        await tx.db
          .insertInto("api_keys")
          .values({
            sid: "SK000000000000000000000000000000ff",
            account_sid: account.sid,
            friendly_name: "doomed",
            secret_hash: "x",
            date_created: "2026-11-21T09:00:00.000Z",
            date_updated: "2026-11-21T09:00:00.000Z",
          })
          .execute();
        await events.append(tx, account.sid, [
          {
            eventType: "api-key.created",
            resourceType: "api-key",
            resourceSid: "SK000000000000000000000000000000ff",
            description: "x",
          },
        ]);
        throw new Error("crash before commit");
      }),
    ).rejects.toThrow("crash before commit");
    expect(await events.head()).toBe(before);
    expect(await apiKeys.get(account.sid, "SK000000000000000000000000000000ff")).toBeUndefined();
  });

  it("gives events increasing positions and the standard receiver parameters", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const key = await apiKeys.create(account.sid, "k");
    const log = await events.readAfter(0, 100);
    expect(log.map((e) => e.eventType)).toEqual(["account.created", "api-key.created"]);
    expect(log[1]!.seq).toBeGreaterThan(log[0]!.seq);
    expect(log[1]!.data).toMatchObject({
      Sid: log[1]!.sid,
      AccountSid: account.sid,
      EventType: "api-key.created",
      ResourceType: "api-key",
      ResourceSid: key.sid,
      FriendlyName: "k",
      TimestampMs: String(clock.now()),
    });
    expect(await events.readAfter(log[0]!.seq, 100)).toHaveLength(1);
    const other = await accounts.create({ friendlyName: "B" });
    expect(await events.get(other.sid, log[1]!.sid)).toBeUndefined();
    expect((await events.list(other.sid, {}, { limit: 10 })).map((e) => e.eventType)).toEqual([
      "account.created",
    ]);
  });

  it("hands out positions in commit order, so reading after a cursor never skips a late commit", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const draft = testEvent(account.sid, "x");
    const finished: string[] = [];
    const slow = database.transaction(async (tx) => {
      const [event] = await events.append(tx, account.sid, [draft]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished.push("slow");
      return event!;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = database.transaction(async (tx) => {
      const [event] = await events.append(tx, account.sid, [draft]);
      finished.push("fast");
      return event!;
    });
    const [first, second] = await Promise.all([slow, fast]);
    expect(finished).toEqual(["slow", "fast"]);
    expect(second.seq).toBeGreaterThan(first.seq);
  });

  it("commits events with the rows they describe at once, in the order drafted, or neither", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const command = (seq: number) => ({ workspace_sid: "WS1", seq, at: seq, command: "{}", sids: "[]" });
    const drafts = Array.from({ length: 700 }, (_, i) => testEvent(account.sid, `event ${i}`));
    const start = await events.head();
    const stored = await events.appendAtomically(account.sid, drafts, [
      { table: "routing_commands", rows: [command(1), command(2)] },
    ]);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => stored[0]!.seq + i));
    const read = await new EventLog(database, sequentialSids(9000), clock).readAfter(start, 1000);
    expect(read.map((e) => e.description)).toEqual(drafts.map((d) => d.description));
    expect(read).toEqual(stored);
    expect(await database.db.selectFrom("routing_commands").select("seq").orderBy("seq").execute()).toEqual([
      { seq: 1 },
      { seq: 2 },
    ]);

    // The second row repeats a key: nothing of the write stays, the work done first included.
    const head = await events.head();
    await expect(
      events.appendAtomically(
        account.sid,
        [testEvent(account.sid, "doomed")],
        [{ table: "routing_commands", rows: [command(3), command(2)] }],
        (tx) =>
          tx.db
            .insertInto("routing_commands")
            .values(command(10))
            .execute()
            .then(() => undefined),
      ),
    ).rejects.toThrow();
    await expect(
      events.appendAtomically(
        account.sid,
        [testEvent(account.sid, "doomed")],
        [{ table: "routing_commands", rows: [command(3), command(2)] }],
      ),
    ).rejects.toThrow();
    expect(await events.head()).toBe(head);
    expect(await database.db.selectFrom("routing_commands").select("seq").execute()).toHaveLength(2);
  });

  it("commits events of several accounts with their rows only when the statement's condition holds (Postgres)", async (context) => {
    if (dialect !== "postgres") return context.skip();
    const [a, b] = [
      await accounts.create({ friendlyName: "A" }),
      await accounts.create({ friendlyName: "B" }),
    ];
    const command = (seq: number) => ({ workspace_sid: "WS1", seq, at: seq, command: "{}", sids: "[]" });
    const drafted = [a, b, a].map((account, i) => ({
      accountSid: account.sid,
      draft: testEvent(account.sid, `event ${i}`),
    }));
    // The condition writes as well, joining its own row: a marker command when it holds.
    const condition = (holds: boolean) =>
      sql`condition as (select where ${sql.lit(holds)}),
        marked as (insert into routing_commands (workspace_sid, seq, at, command, sids)
          select 'WS1', 99, 99, '{}', '[]' from condition)`;
    const head = await events.head();
    expect(
      await events.appendIf(drafted, [{ table: "routing_commands", rows: [command(1)] }], condition(false)),
    ).toBeUndefined();
    expect(await events.head()).toBe(head);
    expect(await database.db.selectFrom("routing_commands").select("seq").execute()).toEqual([]);

    const stored = await events.appendIf(
      drafted,
      [{ table: "routing_commands", rows: [command(1)] }],
      condition(true),
    );
    expect(stored!.map((event) => [event.accountSid, event.description])).toEqual([
      [a.sid, "event 0"],
      [a.sid, "event 2"],
      [b.sid, "event 1"],
    ]);
    const read = await new EventLog(database, sequentialSids(9000), clock).readAfter(head, 10);
    expect(read).toEqual(stored);
    expect(await database.db.selectFrom("routing_commands").select("seq").orderBy("seq").execute()).toEqual([
      { seq: 1 },
      { seq: 99 },
    ]);
  });

  it("inserts rows past one statement's bound values, a missing column as NULL, returning every row", async () => {
    const row = (i: number) => ({
      sid: `EV${String(i).padStart(32, "0")}`,
      account_sid: "AC1",
      event_type: "test.happened",
      resource_type: "test",
      resource_sid: "AC1",
      description: `row ${i}`,
      data: "{}",
      date_created: "2026-11-21T09:00:00.000Z",
      ...(i % 2 === 0 && { scope_sid: "WS1" }),
    });
    const columns = EVENT_COLUMNS;
    // 4,000 rows of 9 values: more than one statement binds (10,000 values), and more than
    // SQLite takes in one (32,766).
    const rows = Array.from({ length: 4000 }, (_, i) => row(i));
    const returned = await insertRows<"events", { seq: number; sid: string }>(
      database.db,
      dialect,
      "events",
      columns,
      rows,
      { returning: ["seq", "sid"] },
    );
    expect(new Set(returned.map((r) => r.sid))).toEqual(new Set(rows.map((r) => r.sid)));
    const stored = await database.db
      .selectFrom("events")
      .select(["sid", "description", "scope_sid"])
      .orderBy("seq")
      .execute();
    expect(stored).toEqual(
      rows.map((r, i) => ({ sid: r.sid, description: r.description, scope_sid: i % 2 === 0 ? "WS1" : null })),
    );
    expect(await insertRows(database.db, dialect, "events", columns, [])).toEqual([]);
  });

  it("upserts rows past one statement's bound values, replacing some columns and summing others", async () => {
    const slice = (i: number, name: string, availableMs: number) => ({
      worker_sid: `WK${String(i).padStart(32, "0")}`,
      slice: 7,
      account_sid: "AC1",
      workspace_sid: "WS1",
      worker_name: name,
      team: null,
      available_ms: availableMs,
      busy_ms: 0,
      staffed_ms: 0,
    });
    const onConflict = onConflictUpdate(["worker_sid", "slice"], ["worker_name"], {
      available_ms: "insight_worker_slices.available_ms + excluded.available_ms",
    });
    // 4,000 rows of 9 values: more than one statement binds (10,000 values), and more than
    // SQLite takes in one (32,766).
    const first = Array.from({ length: 4000 }, (_, i) => slice(i, "before", i));
    const rows = [
      ...first.slice(0, 3000),
      ...Array.from({ length: 1000 }, (_, i) => slice(4000 + i, "new", 1)),
    ];
    const upsert = (batch: typeof rows) =>
      insertRows(database.db, dialect, "insight_worker_slices", columnsOf(batch), batch, { onConflict });
    await upsert(first);
    await upsert(rows.map((row) => ({ ...row, worker_name: "after", available_ms: 1_000_000 })));
    const stored = await database.db
      .selectFrom("insight_worker_slices")
      .select(["worker_sid", "worker_name", "available_ms"])
      .orderBy("worker_sid")
      .execute();
    expect(stored.length).toBe(5000);
    expect(stored.map((r) => [r.worker_name, Number(r.available_ms)])).toEqual([
      ...Array.from({ length: 3000 }, (_, i) => ["after", 1_000_000 + i]),
      ...Array.from({ length: 1000 }, (_, i) => ["before", 3000 + i]),
      ...Array.from({ length: 1000 }, () => ["after", 1_000_000]),
    ]);
  });

  it("orders a one-statement append behind a transaction that appended first", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const finished: string[] = [];
    const slow = database.transaction(async (tx) => {
      await events.append(tx, account.sid, [testEvent(account.sid, "slow")]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished.push("slow");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = events
      .appendAtomically(account.sid, [testEvent(account.sid, "fast")], [])
      .then(() => finished.push("fast"));
    await Promise.all([slow, fast]);
    expect(finished).toEqual(["slow", "fast"]);
  });

  it("reads after a position the same from memory as from the database, around rollbacks and other writers", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const draft = (n: number) => ({
      eventType: "test.happened",
      resourceType: "test",
      resourceSid: account.sid,
      description: `event ${n}`,
    });
    const start = await events.head();
    await database.transaction((tx) => events.append(tx, account.sid, [draft(1), draft(2)]));
    await expect(
      database.transaction(async (tx) => {
        await events.append(tx, account.sid, [draft(0)]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await database.transaction((tx) => events.append(tx, account.sid, [draft(3)]));
    // Another process appends: this one never saw the event go by.
    const otherDatabase = Database.open(testDb.url);
    try {
      const other = new EventLog(otherDatabase, sequentialSids(9000), clock);
      await otherDatabase.transaction((tx) => other.append(tx, account.sid, [draft(4)]));
    } finally {
      await otherDatabase.close();
    }
    await database.transaction((tx) => events.append(tx, account.sid, [draft(5)]));

    const fromDatabase = await new EventLog(database, sequentialSids(9500), clock).readAfter(start, 100);
    expect(fromDatabase.map((e) => e.description)).toEqual(
      ["1", "2", "3", "4", "5"].map((n) => `event ${n}`),
    );
    for (const [i, event] of fromDatabase.entries()) {
      const position = i === 0 ? start : fromDatabase[i - 1]!.seq;
      expect(await events.readAfter(position, 100), `after ${position}`).toEqual(fromDatabase.slice(i));
      expect(await events.readAfter(position, 1)).toEqual([event]);
    }
    expect(await events.readAfter(fromDatabase.at(-1)!.seq, 100)).toEqual([]);
  });

  it("tells caught-up readers from memory that nothing is new for 50 ms after looking, then looks again", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const draft = testEvent(account.sid, "");
    await database.transaction((tx) => events.append(tx, account.sid, [draft]));
    const last = await events.head();
    expect(await events.readAfter(last, 10)).toEqual([]); // looks at the database
    // Another process appends after everything this one has committed.
    const otherDatabase = Database.open(testDb.url);
    try {
      const other = new EventLog(otherDatabase, sequentialSids(9000), clock);
      await otherDatabase.transaction((tx) => other.append(tx, account.sid, [draft]));
    } finally {
      await otherDatabase.close();
    }
    clock.advance(49);
    expect(await events.readAfter(last, 10)).toEqual([]);
    clock.advance(1);
    expect(await events.readAfter(last, 10)).toHaveLength(1);
  });

  it("moves consumer cursors forward only", async () => {
    expect(await cursors.position("c")).toBe(0);
    await cursors.advance(database.db, "c", 10);
    await cursors.advance(database.db, "c", 4);
    expect(await cursors.position("c")).toBe(10);
    await cursors.advance(database.db, "c", 12);
    expect(await cursors.position("c")).toBe(12);
  });

  it("relaxes the commit's wait for the disk only inside a non-durable transaction, and only for it", async () => {
    // How each database says whether a commit waits for the disk. SQLite's is always NORMAL (1): the
    // flush is ours, after the commit and off the event loop (sqlite-flush.test.ts), so there is
    // nothing to relax.
    const syncSetting = async (db: Database["db"]) =>
      dialect === "sqlite"
        ? String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous)
        : (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]!
            .synchronous_commit;
    const strict = dialect === "sqlite" ? "1" : "on";
    const relaxed = dialect === "sqlite" ? "1" : "off";
    expect(await syncSetting(database.db)).toBe(strict);
    // A durable transaction queued behind the relaxed one must not inherit its setting.
    let durableSaw: Promise<string> | undefined;
    const relaxedSaw = await database.transaction(
      async (tx) => {
        durableSaw = database.transaction((other) => syncSetting(other.db));
        await cursors.advance(tx.db, "projection", 5);
        return syncSetting(tx.db);
      },
      { durable: false },
    );
    expect(relaxedSaw).toBe(relaxed);
    expect(await durableSaw).toBe(strict);
    expect(await syncSetting(database.db)).toBe(strict);
    expect(await cursors.position("projection")).toBe(5);
  });

  it("fans events out once per subscription, however often a batch is replayed", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const all = await webhooks.create(account.sid, {
      url: "http://127.0.0.1:1/all",
      friendlyName: "",
      eventTypes: [],
      status: "active",
    });
    await webhooks.create(account.sid, {
      url: "http://127.0.0.1:1/keys",
      friendlyName: "",
      eventTypes: ["api-key.deleted"],
      status: "active",
    });
    await webhooks.create(account.sid, {
      url: "http://127.0.0.1:1/off",
      friendlyName: "",
      eventTypes: [],
      status: "disabled",
    });
    const key = await apiKeys.create(account.sid, "k");
    await apiKeys.remove(account.sid, key.sid);
    const batch = (await events.readAfter(0, 100)).filter((e) => e.eventType.startsWith("api-key"));
    const advance = (db: Database["db"]) => cursors.advance(db, "webhooks.fanout", batch.at(-1)!.seq);
    await webhooks.fanOut(batch, advance);
    await webhooks.fanOut(batch, advance);
    const rows = await database.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .orderBy("event_seq")
      .execute();
    expect(rows.map((r) => [r.url.split("/").at(-1), r.status])).toEqual([
      ["all", "queued"],
      ["all", "queued"],
      ["keys", "queued"],
    ]);
    expect(await cursors.position("webhooks.fanout")).toBe(batch.at(-1)!.seq);
    const page = await webhooks.listDeliveries(account.sid, all.sid, undefined, pageRequest({}));
    expect(page.items).toHaveLength(2);
  });

  it("leases a due delivery to one claimant, re-offers it when the lease expires, and dead-letters at the end", async () => {
    const { account, webhook } = await subscribedAccountWithOneKey();
    const batch = await events.readAfter(0, 100);
    await webhooks.fanOut(batch, () => Promise.resolve());

    const [claim] = await webhooks.claimDue("node-a", 10, 5_000);
    expect(claim?.delivery.attempts).toBe(1);
    expect(await webhooks.claimDue("node-b", 10, 5_000)).toEqual([]);

    // node-a dies; its lease runs out and node-b takes over.
    clock.advance(5_001);
    const [retaken] = await webhooks.claimDue("node-b", 10, 5_000);
    expect(retaken?.delivery.sid).toBe(claim!.delivery.sid);
    expect(retaken?.delivery.attempts).toBe(2);
    const whileRetaken = await webhooks.listAttempts(account.sid, claim!.delivery.sid, pageRequest({}));
    expect(whileRetaken.items.map((a) => a.outcome)).toEqual(["interrupted", "in_progress"]);

    // node-a's late answer is recorded on its own attempt but cannot overwrite node-b's delivery state.
    await webhooks.finishAttempt("node-a", claim!, {
      ok: false,
      statusCode: 500,
      error: "late",
      durationMs: 1,
      retryAt: clock.now(),
    });
    expect((await webhooks.getDelivery(account.sid, webhook.sid, claim!.delivery.sid))?.lastError).toBeNull();

    const status = await webhooks.finishAttempt("node-b", retaken!, {
      ok: false,
      statusCode: 503,
      error: "receiver answered HTTP 503",
      durationMs: 3,
      retryAt: clock.now() + 1_000,
    });
    expect(status).toBe("retrying");
    expect(await webhooks.claimDue("node-b", 10, 5_000)).toEqual([]);
    clock.advance(1_000);
    const [third] = await webhooks.claimDue("node-b", 10, 5_000);
    expect(
      await webhooks.finishAttempt("node-b", third!, {
        ok: false,
        statusCode: null,
        error: "connection failed: ECONNREFUSED",
        durationMs: 1,
        retryAt: undefined,
      }),
    ).toBe("dead");

    const delivery = await webhooks.getDelivery(account.sid, webhook.sid, claim!.delivery.sid);
    expect(delivery).toMatchObject({
      status: "dead",
      attempts: 3,
      lastError: "connection failed: ECONNREFUSED",
    });
    const attempts = await webhooks.listAttempts(account.sid, delivery!.sid, pageRequest({}));
    expect(attempts.items.map((a) => [a.attemptNumber, a.outcome, a.statusCode])).toEqual([
      [1, "failed", 500],
      [2, "failed", 503],
      [3, "failed", null],
    ]);
    // Another account sees none of it.
    const other = await accounts.create({ friendlyName: "B" });
    expect(await webhooks.getDelivery(other.sid, webhook.sid, delivery!.sid)).toBeUndefined();
    expect((await webhooks.listAttempts(other.sid, delivery!.sid, pageRequest({}))).items).toEqual([]);
  });

  it("claims an ordered subscription's deliveries one at a time in event order, an unordered one's together", async () => {
    const account = await accounts.create({ friendlyName: "A" });
    const message = "SM00000000000000000000000000000001";
    const subscription = (sid: string, ordered: boolean) => ({
      sid,
      accountSid: account.sid,
      url: `http://127.0.0.1:1/${sid}`,
      eventTypes: ["message.status"],
      scopeSid: message,
      dateCreated: "2026-01-01T00:00:00.000Z",
      ordered,
    });
    const store = new WebhookStore(database, events, sequentialSids(500), clock, () => [
      subscription("ordered", true),
      subscription("unordered", false),
    ]);
    const status = (description: string) => ({
      eventType: "message.status",
      resourceType: "message",
      resourceSid: message,
      scopeSid: message,
      description,
    });
    // Statuses applied in one go, as when a provider's reports overtake its answer to the send.
    await database.transaction((tx) =>
      events.append(tx, account.sid, [status("sent"), status("undelivered"), status("failed")]),
    );
    const batch = (await events.readAfter(0, 100)).filter((e) => e.eventType === "message.status");
    await store.fanOut(batch, () => Promise.resolve());
    const descriptions = async (claims: Claim[]) =>
      Promise.all(
        claims.map(async (c) => [
          c.delivery.webhookSid,
          (await events.get(account.sid, c.delivery.eventSid))!.description,
        ]),
      );

    const first = await store.claimDue("node-a", 10, 5_000);
    expect(await descriptions(first)).toEqual([
      ["ordered", "sent"],
      ["unordered", "sent"],
      ["unordered", "undelivered"],
      ["unordered", "failed"],
    ]);
    // While "sent" is in flight nothing later of the ordered subscription goes, on any node.
    expect(await store.claimDue("node-b", 10, 5_000)).toEqual([]);
    const done = { ok: true as const, statusCode: 204, durationMs: 1 };
    await store.finishAttempt("node-a", first[0]!, done);
    const second = await store.claimDue("node-b", 10, 5_000);
    expect(await descriptions(second)).toEqual([["ordered", "undelivered"]]);
    // A failed attempt keeps the rest waiting through its retry; a delivery given up on does not.
    await store.finishAttempt("node-b", second[0]!, {
      ok: false,
      statusCode: 503,
      error: "receiver answered HTTP 503",
      durationMs: 1,
      retryAt: clock.now() + 1_000,
    });
    expect(await store.claimDue("node-b", 10, 5_000)).toEqual([]);
    clock.advance(1_000);
    const retried = await store.claimDue("node-b", 10, 5_000);
    expect(await descriptions(retried)).toEqual([["ordered", "undelivered"]]);
    await store.finishAttempt("node-b", retried[0]!, {
      ok: false,
      statusCode: null,
      error: "connection failed: ECONNREFUSED",
      durationMs: 1,
      retryAt: undefined,
    });
    expect(await descriptions(await store.claimDue("node-b", 10, 5_000))).toEqual([["ordered", "failed"]]);
  });

  it("removes a subscription with its deliveries and attempts", async () => {
    const { account, webhook } = await subscribedAccountWithOneKey();
    await webhooks.fanOut(await events.readAfter(0, 100), () => Promise.resolve());
    await webhooks.claimDue("n", 10, 5_000);
    expect(await webhooks.remove(account.sid, webhook.sid)).toBe(true);
    expect(await database.db.selectFrom("webhook_deliveries").selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom("webhook_attempts").selectAll().execute()).toEqual([]);
    expect(await webhooks.remove(account.sid, webhook.sid)).toBe(false);
  });
});
