import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import SqliteDriver from "better-sqlite3";
import {
  Kysely,
  PostgresDialect,
  sql,
  SqliteDialect,
  type Dialect as KyselyDialect,
  type Driver,
  type Transaction,
} from "kysely";
import pg from "pg";
import type { Schema } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";

/** How often the checkpointing thread copies SQLite's write-ahead log into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * A write in progress. State changes and the events describing them go through the same `Tx`, so
 * they commit or vanish together; work that must wait for the commit (waking consumers, publishing
 * to other nodes) is registered with `afterCommit`.
 */
export interface Tx {
  readonly db: Transaction<Schema>;
  afterCommit(action: () => void): void;
  /**
   * Runs `action` if the transaction does not commit (or its commit is not acknowledged): a
   * transaction runs its `afterCommit` actions or these, never both.
   */
  afterRollback(action: () => void): void;
}

/**
 * The one storage handle: a Kysely query builder over SQLite (better-sqlite3, WAL) or Postgres (pg).
 * Stores are written once against it; the conformance suite runs them on both dialects.
 */
export class Database {
  /** SQLite's checkpointing thread, for a database in a file. */
  private checkpointer: Worker | undefined;
  /** SQLite's log flush, for a database in a file. */
  private flush: LogFlush | undefined;

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
    // WAL lets readers run beside the writer; busy_timeout covers a second process (e.g. the CLI).
    // NORMAL sync leaves the commit's flush to us (LogFlush): every acknowledged commit still
    // survives power loss, not only a process crash, but the flush no longer stalls the event loop.
    driver.pragma("journal_mode = WAL");
    driver.pragma("synchronous = NORMAL");
    driver.pragma("busy_timeout = 5000");
    driver.pragma("foreign_keys = ON");
    const dialect = new SqliteDialect({ database: driver });
    if (file === ":memory:") {
      cacheStatements(driver, undefined);
      return new Database("sqlite", new Kysely<Schema>({ dialect }));
    }
    // Checkpoints run on a thread of their own (checkpointer.mjs); a log grown by a burst is cut
    // back to this size when it starts over.
    driver.pragma("wal_autocheckpoint = 0");
    driver.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    const flush = new LogFlush(`${path.resolve(file)}-wal`);
    cacheStatements(driver, flush);
    const checkpointer = new Worker(new URL("./checkpointer.mjs", import.meta.url), {
      workerData: { file: path.resolve(file), intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    checkpointer.unref();
    // A thread that cannot run (the file unreadable) must not take the server down; say so.
    checkpointer.on("error", (error) =>
      console.error("SQLite checkpoints stopped; the write-ahead log grows until a restart:", error),
    );
    const database = new Database(
      "sqlite",
      new Kysely<Schema>({ dialect: new FlushingSqliteDialect(dialect, flush) }),
    );
    database.checkpointer = checkpointer;
    database.flush = flush;
    return database;
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
   * commit with the consumer's cursor (projections): on Postgres the commit does not wait for the
   * disk, so a power loss (never a process crash) may undo it, and the consumer then redoes it from
   * its cursor. It cannot undo a durable commit made after it: the log is written in order, and
   * flushing a later commit flushes what came before. (SQLite's flush never holds up other work, see
   * LogFlush, so there it changes nothing.)
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, options: { durable?: boolean } = {}): Promise<T> {
    const committed: Array<() => void> = [];
    const rolledBack: Array<() => void> = [];
    const relaxed = options.durable === false && this.dialect === "postgres";
    let result: T;
    try {
      result = await this.db.transaction().execute(async (trx) => {
        if (relaxed) await sql`set local synchronous_commit = off`.execute(trx);
        return work({
          db: trx,
          afterCommit: (a) => committed.push(a),
          afterRollback: (a) => rolledBack.push(a),
        });
      });
    } catch (error) {
      for (const action of rolledBack) action();
      throw error;
    }
    for (const action of committed) action();
    return result;
  }

  /** Cheap round trip for readiness probes. */
  async ping(): Promise<void> {
    await this.db.selectFrom("accounts").select("sid").limit(1).execute();
  }

  async close(): Promise<void> {
    if (this.checkpointer) {
      // Its connection closes first, so the server's is the last: closing it checkpoints the whole
      // log into the database and removes it.
      const stopped = new Promise((resolve) => this.checkpointer!.once("exit", resolve));
      this.checkpointer.ref(); // so that waiting for it keeps the process alive
      this.checkpointer.postMessage("stop");
      await stopped;
    }
    await this.db.destroy();
    await this.flush?.close();
  }
}

/**
 * Kysely's SQLite driver prepares every statement it runs; preparing costs more than running the
 * small statements we issue. Keep the most recent ones (SQL text → prepared statement). Reusing one
 * is safe: better-sqlite3 runs statements synchronously, one at a time. Every statement is prepared
 * right before it runs, so this is also where a write is noticed (`flush.wrote`).
 */
function cacheStatements(driver: SqliteDriver.Database, flush: LogFlush | undefined, limit = 512): void {
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
    if (flush && !statement.readonly) flush.wrote = true;
    return statement;
  }) as typeof driver.prepare;
}

/**
 * Makes SQLite commits durable without blocking the event loop. SQLite runs with `synchronous =
 * NORMAL`: a commit writes its pages to the write-ahead log but does not wait for the disk (SQLite
 * still flushes the log before each checkpoint, and the database after it). After a connection that
 * wrote is released, the caller waits for an `fdatasync` of the log on libuv's thread pool before
 * its write counts as done, so it is acknowledged only once it would survive power loss, as with
 * `synchronous = FULL`. Meanwhile the connection serves others, and one flush serves every commit
 * written before it started (group commit).
 *
 * A commit can be read by others before its flush ends; after a power loss they may have seen a
 * write that is gone. Nothing acknowledged is lost. After a failed flush, what the log holds is
 * unknown (the kernel may have dropped the pages): every later flush fails too, so nothing more is
 * acknowledged until a restart recovers the database from disk.
 */
class LogFlush {
  /** Set when a writing statement runs; taken by the connection's release. */
  wrote = false;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private failure: Error | undefined;
  /**
   * The log, opened at the first flush and kept: each trip to the thread pool also waits for a turn
   * of a busy event loop, so opening and closing it at every flush tripled the wait. SQLite keeps
   * the file (it truncates it, never replaces it) while a connection is open, and the server's stays
   * open until `close`.
   */
  private log: fs.promises.FileHandle | undefined;

  constructor(private readonly logFile: string) {}

  /** Resolves once a flush that started after this call has ended. */
  flush(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The flush under way may have started before the caller's commit was written: wait for the next.
    const next = () => {
      this.queued = undefined;
      return this.start();
    };
    this.queued = this.running.then(next, next);
    return this.queued;
  }

  private start(): Promise<void> {
    const running = this.sync().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async sync(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.log ??= await fs.promises.open(this.logFile, "r");
      await this.log.datasync();
    } catch (error) {
      // No log: the last connection closed, after checkpointing it into the database and flushing that.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      this.failure = error as Error;
      throw error;
    }
  }

  /** Closes the log, once the last write's flush has ended. */
  async close(): Promise<void> {
    // A failed flush has already failed its callers; closing still closes the log.
    await Promise.allSettled([this.running, this.queued]);
    await this.log?.close();
    this.log = undefined;
  }
}

/** The SQLite dialect, with each write's connection release waiting for the log flush (LogFlush). */
class FlushingSqliteDialect implements KyselyDialect {
  constructor(
    private readonly inner: SqliteDialect,
    private readonly log: LogFlush,
  ) {}

  createDriver(): Driver {
    const driver = this.inner.createDriver();
    const log = this.log;
    return {
      init: () => driver.init(),
      acquireConnection: () => driver.acquireConnection(),
      beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
      commitTransaction: (connection) => driver.commitTransaction(connection),
      rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
      async releaseConnection(connection) {
        // Free the one connection first, so others use it while this caller waits for the disk.
        const wrote = log.wrote;
        log.wrote = false;
        await driver.releaseConnection(connection);
        if (wrote) await log.flush();
      },
      destroy: () => driver.destroy(),
    };
  }

  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }

  createAdapter() {
    return this.inner.createAdapter();
  }

  createIntrospector(db: Parameters<SqliteDialect["createIntrospector"]>[0]) {
    return this.inner.createIntrospector(db);
  }
}

/**
 * True for a unique-constraint violation on either dialect: the last word when two writers race for
 * the same unique value (a check before the insert cannot see the other's uncommitted row).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
}

/** The index or constraint a Postgres error names as violated (SQLite's errors name columns instead). */
export function violatedConstraint(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === "string" ? constraint : undefined;
}

// Postgres returns BIGINT (event seq) as text by default; our positions stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
