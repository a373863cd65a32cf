import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock, sequentialSids } from "@switchboard/engine";
import { Database } from "../src/platform/db/database.ts";
import { migrateToLatest } from "../src/platform/db/migrate.ts";
import { EventLog } from "../src/platform/events/event-log.ts";

/**
 * SQLite commits with `synchronous = NORMAL` and the server flushes the write-ahead log itself, off
 * the event loop: these tests watch the flushes (fdatasync of `<file>-wal`) to show that a write is
 * acknowledged only after one that started after it has ended, that reads cost none, and that one
 * flush serves the commits written before it started.
 */
describe("SQLite log flush", () => {
  let dir: string;
  let database: Database;
  /** What happened, in order: "flush started", "flush ended", and the test's own marks. */
  let timeline: string[];
  /** Holds each flush until released, so a test can look while it is under way. */
  let hold: Promise<void>;
  let release: () => void;
  let failWith: Error | undefined;
  /** How many times the log was opened. */
  let logOpens: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-flush-"));
    timeline = [];
    hold = Promise.resolve();
    failWith = undefined;
    logOpens = 0;
    const open = fs.promises.open.bind(fs.promises);
    vi.spyOn(fs.promises, "open").mockImplementation(async (file, flags) => {
      const handle = await open(file, flags);
      if (String(file).endsWith("-wal")) {
        logOpens++;
        const datasync = handle.datasync.bind(handle);
        handle.datasync = async () => {
          timeline.push("flush started");
          await hold;
          if (failWith) throw failWith;
          await datasync();
          timeline.push("flush ended");
        };
      }
      return handle;
    });
    // Opened once the log is watched: the database keeps the log's handle from its first flush.
    database = Database.open(`sqlite:${path.join(dir, "db.sqlite")}`);
    await migrateToLatest(database);
    timeline = [];
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const holdFlushes = () => {
    hold = new Promise((resolve) => (release = resolve));
  };
  const cursorWrite = (db: Database["db"], consumer: string) =>
    db
      .insertInto("consumer_cursors")
      .values({ consumer, position: 1, date_updated: "2026-11-21T09:00:00.000Z" })
      .execute();

  it("acknowledges a transaction, and runs its after-commit work, only once the log is flushed", async () => {
    holdFlushes();
    const done = database
      .transaction(async (tx) => {
        await cursorWrite(tx.db, "a");
        tx.afterCommit(() => timeline.push("after commit"));
      })
      .then(() => timeline.push("acknowledged"));
    await vi.waitFor(() => expect(timeline).toEqual(["flush started"]));
    // The connection is free while the flush is under way: others read (and see the commit).
    const read = await database.db.selectFrom("consumer_cursors").select("consumer").execute();
    expect(read).toEqual([{ consumer: "a" }]);
    expect(timeline).toEqual(["flush started"]);
    release();
    await done;
    expect(timeline).toEqual(["flush started", "flush ended", "after commit", "acknowledged"]);
  });

  it("keeps the log open from one flush to the next", async () => {
    for (const consumer of ["a", "b", "c"]) await database.transaction((tx) => cursorWrite(tx.db, consumer));
    expect(timeline.filter((entry) => entry === "flush ended")).toHaveLength(3);
    expect(logOpens).toBe(1);
  });

  it("flushes after a write outside a transaction, and never after a read", async () => {
    await database.db.selectFrom("consumer_cursors").selectAll().execute();
    await database.transaction((tx) => tx.db.selectFrom("consumer_cursors").selectAll().execute());
    expect(timeline).toEqual([]);
    await cursorWrite(database.db, "a");
    expect(timeline).toEqual(["flush started", "flush ended"]);
  });

  it("serves the commits written while a flush is under way with one more flush", async () => {
    holdFlushes();
    const first = database.transaction((tx) => cursorWrite(tx.db, "a"));
    await vi.waitFor(() => expect(timeline).toEqual(["flush started"]));
    // Written after that flush started: it cannot count for them.
    const later = ["b", "c", "d"].map((consumer) =>
      database.transaction((tx) => cursorWrite(tx.db, consumer)),
    );
    const settled: string[] = [];
    void Promise.all(later).then(() => settled.push("later"));
    release();
    await first;
    await Promise.all(later);
    expect(timeline).toEqual(["flush started", "flush ended", "flush started", "flush ended"]);
    expect(settled).toEqual(["later"]);
  });

  it("keeps a commit's events from the log's readers until the commit is acknowledged", async () => {
    const events = new EventLog(database, sequentialSids(), new ManualClock(Date.UTC(2026, 10, 21)));
    const draft = { eventType: "test.happened", resourceType: "test", resourceSid: "AC1", description: "" };
    const [first] = await database.transaction((tx) => events.append(tx, "AC1", [draft]));
    timeline = [];
    holdFlushes();
    const second = database.transaction((tx) => events.append(tx, "AC1", [draft]));
    await vi.waitFor(() => expect(timeline).toEqual(["flush started"]));
    // Committed, so the database would show it, but not acknowledged: a reader finds nothing yet.
    expect(await events.readAfter(first!.seq, 10)).toEqual([]);
    release();
    const [added] = await second;
    expect(await events.readAfter(first!.seq, 10)).toEqual([added]);
  });

  it("copies the log into the database file from its own thread, and leaves no log on close", async () => {
    const file = path.join(dir, "db.sqlite");
    const before = fs.statSync(file).size;
    const body = "x".repeat(1000);
    for (let batch = 0; batch < 10; batch++)
      await database.transaction(async (tx) => {
        for (let i = 0; i < 100; i++) await cursorWrite(tx.db, `${body}${batch}-${i}`);
      });
    // The server's connection never checkpoints (wal_autocheckpoint = 0): only the thread can.
    await vi.waitFor(() => expect(fs.statSync(file).size).toBeGreaterThan(before + 1_000_000), {
      timeout: 5_000,
    });
    await database.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    database = Database.open(`sqlite:${file}`);
    expect(await database.db.selectFrom("consumer_cursors").select("consumer").execute()).toHaveLength(1000);
  });

  it("acknowledges nothing more after a flush fails", async () => {
    failWith = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    await expect(database.transaction((tx) => cursorWrite(tx.db, "a"))).rejects.toThrow("EIO");
    failWith = undefined;
    await expect(database.transaction((tx) => cursorWrite(tx.db, "b"))).rejects.toThrow("EIO");
  });
});
