import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the PostgreSQL the suite runs against, or null when none is reachable (never in CI). */
    postgresUrl: string | null;
  }
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * Finds the PostgreSQL for the storage conformance suite. Locally, an unreachable server skips the
 * Postgres half; in CI (CI=true) or with SWITCHBOARD_REQUIRE_POSTGRES=1 it fails the run instead,
 * so the Postgres suite can never be skipped silently there.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? DEFAULT_URL;
  const required = process.env.CI === "true" || process.env.SWITCHBOARD_REQUIRE_POSTGRES === "1";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    project.provide("postgresUrl", url);
  } catch (error) {
    if (required) {
      throw new Error(
        `PostgreSQL is required for this run but ${url} is unreachable: ${(error as Error).message}`,
      );
    }
    process.stderr.write(`PostgreSQL at ${url} unreachable: the Postgres half of the suite is skipped\n`);
    project.provide("postgresUrl", null);
  } finally {
    await client.end().catch(() => undefined);
  }
}
