import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import type { Dialect } from "../../src/platform/db/database.ts";

/** A fresh, empty database of one dialect, and how to throw it away. */
export interface TestDatabase {
  dialect: Dialect;
  url: string;
  /** Data directory for secrets and files that go with this database. */
  dataDir: string;
  drop(): Promise<void>;
}

export interface DialectCase {
  dialect: Dialect;
  /** True when this dialect cannot run here (Postgres unreachable outside CI). */
  unavailable: boolean;
  create: () => Promise<TestDatabase>;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-test-"));
}

/** SQLite in a temporary file, and Postgres in a schema of its own inside the `test` database. */
export function dialects(): DialectCase[] {
  const postgresUrl = inject("postgresUrl");
  return [
    {
      dialect: "sqlite",
      unavailable: false,
      create() {
        const dataDir = tempDir();
        return Promise.resolve({
          dialect: "sqlite",
          url: `sqlite:${path.join(dataDir, "switchboard.db")}`,
          dataDir,
          drop: () => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })),
        });
      },
    },
    {
      dialect: "postgres",
      unavailable: postgresUrl === null,
      async create() {
        if (postgresUrl === null) throw new Error("PostgreSQL is not reachable");
        const schema = `sb_test_${randomBytes(6).toString("hex")}`;
        const admin = new pg.Client({ connectionString: postgresUrl });
        await admin.connect();
        await admin.query(`create schema ${schema}`);
        await admin.end();
        const dataDir = tempDir();
        const url = new URL(postgresUrl);
        url.searchParams.set("schema", schema);
        return {
          dialect: "postgres",
          url: url.toString(),
          dataDir,
          async drop() {
            const client = new pg.Client({ connectionString: postgresUrl });
            await client.connect();
            await client.query(`drop schema if exists ${schema} cascade`);
            await client.end();
            fs.rmSync(dataDir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
}
