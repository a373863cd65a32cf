import fs from "node:fs";
import path from "node:path";
import SqliteDriver from "better-sqlite3";
import { Kysely, PostgresDialect, sql, SqliteDialect, type Transaction } from "kysely";
import pg from "pg";
import type { Schema } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";

/**
 * A write in progress. State changes and the events describing them go through the same `Tx`, so
 * they commit or vanish together; work that must wait for the commit (waking consumers, publishing
 * to other nodes) is registered with `afterCommit`.
 */
export interface Tx {
  readonly db: Transaction<Schema>;
  afterCommit(action: () => void): void;
}

/**
 * The one storage handle: a Kysely query builder over SQLite (better-sqlite3, WAL) or Postgres (pg).
 * Stores are written once against it; the conformance suite runs them on both dialects.
 */
export class Database {
  private constructor(
    readonly dialect: Dialect,
    readonly db: Kysely<Schema>,
    /** The Postgres schema the tables live in; undefined on SQLite. */
    readonly schema?: string,
  ) {}

  /** `sqlite:PATH` or `postgres://...`. Postgres URLs may carry `?schema=NAME` to use a schema other than public. */
  static open(url: string): Database {
    if (url.startsWith("sqlite:")) return Database.openSqlite(url.slice("sqlite:".length));
    return Database.openPostgres(url);
  }

  private static openSqlite(file: string): Database {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const driver = new SqliteDriver(file);
    // WAL lets readers run beside the writer; FULL sync makes every acknowledged commit survive
    // power loss, not only a process crash; busy_timeout covers a second process (e.g. the CLI).
    driver.pragma("journal_mode = WAL");
    driver.pragma("synchronous = FULL");
    driver.pragma("busy_timeout = 5000");
    driver.pragma("foreign_keys = ON");
    cacheStatements(driver);
    return new Database("sqlite", new Kysely<Schema>({ dialect: new SqliteDialect({ database: driver }) }));
  }

  private static openPostgres(url: string): Database {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get("schema");
    parsed.searchParams.delete("schema");
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    return new Database(
      "postgres",
      new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }),
      schema ?? "public",
    );
  }

  /**
   * Runs `work` in a transaction. `durable: false` is for writes derived from the event log that
   * commit with the consumer's cursor (projections): the commit does not wait for the disk, so a
   * power loss (never a process crash) may undo it, and the consumer then redoes it from its cursor.
   * It cannot undo a durable commit made after it: both databases write their log in order, and
   * flushing a later commit flushes what came before.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, options: { durable?: boolean } = {}): Promise<T> {
    const pending: Array<() => void> = [];
    const durable = options.durable ?? true;
    const run = (db: Kysely<Schema>) =>
      db.transaction().execute(async (trx) => {
        if (!durable && this.dialect === "postgres")
          await sql`set local synchronous_commit = off`.execute(trx);
        return work({ db: trx, afterCommit: (a) => pending.push(a) });
      });
    let result: T;
    if (durable || this.dialect === "postgres") result = await run(this.db);
    else {
      // SQLite sets this per connection, outside transactions: hold the one connection throughout,
      // so no other transaction commits while it is relaxed.
      result = await this.db.connection().execute(async (db) => {
        await sql`pragma synchronous = NORMAL`.execute(db);
        try {
          return await run(db);
        } finally {
          await sql`pragma synchronous = FULL`.execute(db);
        }
      });
    }
    for (const action of pending) action();
    return result;
  }

  /** Cheap round trip for readiness probes. */
  async ping(): Promise<void> {
    await this.db.selectFrom("accounts").select("sid").limit(1).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/**
 * Kysely's SQLite driver prepares every statement it runs; preparing costs more than running the
 * small statements we issue. Keep the most recent ones (SQL text → prepared statement). Reusing one
 * is safe: better-sqlite3 runs statements synchronously, one at a time.
 */
function cacheStatements(driver: SqliteDriver.Database, limit = 512): void {
  const prepare = driver.prepare.bind(driver);
  const statements = new Map<string, SqliteDriver.Statement>();
  driver.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (statement) {
      statements.delete(source); // re-inserted below: most recently used last
    } else {
      statement = prepare(source);
      if (statements.size >= limit) statements.delete(statements.keys().next().value!);
    }
    statements.set(source, statement);
    return statement;
  }) as typeof driver.prepare;
}

/**
 * True for a unique-constraint violation on either dialect: the last word when two writers race for
 * the same unique value (a check before the insert cannot see the other's uncommitted row).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
}

// Postgres returns BIGINT (event seq) as text by default; our positions stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
