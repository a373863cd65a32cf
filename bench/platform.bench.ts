import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { Switchboard } from "../packages/server/src/app.ts";
import { loadConfig } from "../packages/server/src/config.ts";
import { emit, note, throughput } from "./figures.ts";

/**
 * Platform figures, per database:
 * - platform.write_with_event_per_s: state row + its event in one transaction (API key creation),
 *   against a bare single-row insert transaction measured in the same run;
 * - api.key_create_per_s: the same write through HTTP (auth, validation, JSON), against a bare
 *   Fastify JSON POST (api.baseline_post_per_s);
 * - platform.webhook_deliveries_per_s: events logged → signed POSTs answered by a local receiver.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

export async function run(): Promise<void> {
  const baselinePost = await bareFastifyPost();
  emit({ name: "api.baseline_post_per_s", value: baselinePost, unit: "1/s", params: { concurrency: 16 } });

  for (const db of await databases()) {
    note(`platform benchmarks on ${db.name}`);
    const switchboard = await Switchboard.open(
      loadConfig({
        SWITCHBOARD_DATABASE_URL: db.url,
        SWITCHBOARD_DATA_DIR: db.dataDir,
        SWITCHBOARD_PORT: "0",
        SWITCHBOARD_HOST: "127.0.0.1",
        SWITCHBOARD_RATE_LIMIT_PER_SECOND: "0",
        SWITCHBOARD_POLL_INTERVAL_MS: "50",
      }),
      { logger: pino({ level: "silent" }) },
    );
    try {
      const baseUrl = await switchboard.listen();
      const account = await switchboard.accounts.create({ friendlyName: "bench" });

      let n = 0;
      const bareInsert = await throughput(
        () =>
          switchboard.database.transaction((tx) =>
            tx.db
              .insertInto("consumer_cursors")
              .values({ consumer: `bench-${n++}`, position: 0, date_updated: new Date().toISOString() })
              .execute(),
          ),
        SECONDS,
      );
      const writeWithEvent = await throughput(
        () => switchboard.apiKeys.create(account.sid, "bench"),
        SECONDS,
      );
      emit({
        name: "platform.write_with_event_per_s",
        value: writeWithEvent,
        unit: "1/s",
        params: { db: db.name },
        baseline: { name: "bare single-row insert transaction", value: bareInsert },
      });

      const auth = "Basic " + Buffer.from(`${account.sid}:${account.authToken}`).toString("base64");
      const keyCreate = await throughput(
        () =>
          fetch(`${baseUrl}/2010-04-01/Accounts/${account.sid}/Keys.json`, {
            method: "POST",
            headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
            body: "FriendlyName=bench",
          }).then((r) => r.arrayBuffer()),
        SECONDS,
        16,
      );
      emit({
        name: "api.key_create_per_s",
        value: keyCreate,
        unit: "1/s",
        params: { db: db.name, concurrency: 16 },
        baseline: { name: "bare JSON POST", value: baselinePost },
      });

      emit({
        ...(await webhookDeliveries(switchboard, account.sid, baseUrl, auth)),
        params: { db: db.name, events: 2000 },
      });
    } finally {
      await switchboard.close();
      await db.drop();
    }
  }
}

async function webhookDeliveries(
  switchboard: Switchboard,
  accountSid: string,
  baseUrl: string,
  auth: string,
) {
  const EVENTS = 2000;
  let received = 0;
  let allReceived: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.end();
      if (++received === EVENTS) allReceived();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  await fetch(`${baseUrl}/switchboard/v1/Webhooks`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ Url: url, EventTypes: "bench.tick" }).toString(),
  });
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += 100) {
    await switchboard.database.transaction((tx) =>
      switchboard.events.append(
        tx,
        accountSid,
        Array.from({ length: 100 }, (_, j) => ({
          eventType: "bench.tick",
          resourceType: "bench",
          resourceSid: accountSid,
          description: `tick ${i + j}`,
        })),
      ),
    );
  }
  await done;
  const perSecond = Math.round(EVENTS / ((performance.now() - started) / 1000));
  receiver.close();
  return { name: "platform.webhook_deliveries_per_s", value: perSecond, unit: "1/s" };
}

async function bareFastifyPost(): Promise<number> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify();
  app.post("/", (request) => ({ ok: true, echo: request.body }));
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const value = await throughput(
    () =>
      fetch(address, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: '{"a":1}',
      }).then((r) => r.arrayBuffer()),
    SECONDS,
    16,
  );
  await app.close();
  return value;
}

interface BenchDatabase {
  name: "sqlite" | "postgres";
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

async function databases(): Promise<BenchDatabase[]> {
  const result: BenchDatabase[] = [];
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-"));
  result.push({
    name: "sqlite",
    url: `sqlite:${path.join(sqliteDir, "bench.db")}`,
    dataDir: sqliteDir,
    drop: () => Promise.resolve(fs.rmSync(sqliteDir, { recursive: true, force: true })),
  });
  const pgUrl = process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const schema = `sb_bench_${Date.now()}`;
    await admin.query(`create schema ${schema}`);
    const url = new URL(pgUrl);
    url.searchParams.set("schema", schema);
    const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-"));
    result.push({
      name: "postgres",
      url: url.toString(),
      dataDir: pgDir,
      async drop() {
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        await client.query(`drop schema ${schema} cascade`);
        await client.end();
        fs.rmSync(pgDir, { recursive: true, force: true });
      },
    });
  } catch (error) {
    note(`PostgreSQL unreachable (${(error as Error).message}): postgres figures skipped`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  return result;
}
