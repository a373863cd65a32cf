import type { Clock } from "@switchboard/engine";
import pino from "pino";
import { Switchboard } from "../../src/app.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import type { TestDatabase } from "./databases.ts";

/** An in-process server on a random loopback port over the given database, quiet unless told otherwise. */
export async function startServer(
  database: TestDatabase,
  env: Record<string, string> = {},
  clock?: Clock,
): Promise<{ switchboard: Switchboard; baseUrl: string; config: Config }> {
  const config = loadConfig({
    SWITCHBOARD_DATABASE_URL: database.url,
    SWITCHBOARD_DATA_DIR: database.dataDir,
    SWITCHBOARD_PORT: "0",
    SWITCHBOARD_HOST: "127.0.0.1",
    SWITCHBOARD_POLL_INTERVAL_MS: "50",
    SWITCHBOARD_WEBHOOK_BACKOFF_BASE_MS: "50",
    SWITCHBOARD_WEBHOOK_TIMEOUT_MS: "2000",
    ...env,
  });
  const switchboard = await Switchboard.open(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    clock,
  });
  const address = await switchboard.listen();
  return { switchboard, baseUrl: address, config };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The system's time, moved on by `skipMs`: to see what a server does days later. */
export class SkippingClock implements Clock {
  skipMs = 0;
  now(): number {
    return Date.now() + this.skipMs;
  }
}
