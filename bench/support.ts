import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { Switchboard } from "../packages/server/src/app.ts";
import { loadConfig } from "../packages/server/src/config.ts";
import autocannon from "autocannon";
import { note } from "./figures.ts";

/**
 * A server in this process over `db`, quiet, with rate limiting off (benchmarks measure capacity);
 * `env` adds or overrides settings.
 */
export function openServer(db: BenchDatabase, env: Record<string, string> = {}): Promise<Switchboard> {
  return Switchboard.open(
    loadConfig({
      SWITCHBOARD_DATABASE_URL: db.url,
      SWITCHBOARD_DATA_DIR: db.dataDir,
      SWITCHBOARD_PORT: "0",
      SWITCHBOARD_HOST: "127.0.0.1",
      SWITCHBOARD_RATE_LIMIT_PER_SECOND: "0",
      SWITCHBOARD_POLL_INTERVAL_MS: "50",
      ...env,
    }),
    { logger: pino({ level: "silent" }) },
  );
}

export interface HttpLoad {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Requests per second the server answers with 2xx under `connections` concurrent keep-alive
 * connections, driven by autocannon from a worker thread (so the load generator does not share the
 * server's event loop). Non-2xx answers count as failures and are reported.
 */
export async function httpThroughput(load: HttpLoad, seconds: number, connections = 16): Promise<number> {
  const result = await autocannon({
    url: load.url,
    method: load.method,
    headers: load.headers ?? {},
    ...(load.body !== undefined ? { body: load.body } : {}),
    connections,
    duration: seconds,
    workers: 1,
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) note(`${load.method} ${new URL(load.url).pathname}: ${failed} failed requests`);
  return Math.round(result["2xx"] / (result.duration || seconds));
}

/** Requests per second a bare Fastify JSON POST handler answers here: the yardstick for API figures. */
export async function bareFastifyPost(seconds: number): Promise<number> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify();
  app.post("/", (request) => ({ ok: true, echo: request.body }));
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const value = await httpThroughput(
    { url: address, method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' },
    seconds,
  );
  await app.close();
  return value;
}

export interface BenchDatabase {
  name: "sqlite" | "postgres";
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** SQLite in a temporary directory, and Postgres in a fresh schema when it is reachable. */
export async function databases(): Promise<BenchDatabase[]> {
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

/** Waits until every event-log consumer has caught up with the log, so earlier work does not weigh on the next figure. */
export async function settle(switchboard: Switchboard): Promise<void> {
  const head = await switchboard.events.head();
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    const cursors = await switchboard.database.db.selectFrom("consumer_cursors").select("position").execute();
    if (cursors.length > 0 && cursors.every((c) => Number(c.position) >= head)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  note("event-log consumers did not catch up within two minutes");
}
