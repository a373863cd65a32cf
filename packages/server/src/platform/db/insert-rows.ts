import { CompiledQuery, type Insertable, type Kysely } from "kysely";
import type { Dialect } from "./database.ts";
import type { Schema } from "./schema.ts";

/**
 * Bound values per statement: well under SQLite's limit (32,766) and Postgres' (65,535). Postgres
 * plans each statement's VALUES list afresh, and bigger ones cost more per row: writing insight
 * segments (42 columns) took 850 rows/s at 30,000 values a statement and 1,030–1,070 at 10,000;
 * SQLite showed no difference.
 */
const MAX_VALUES = 10_000;

/** Statement texts by table, columns, row count and what they return: built once each. */
const texts = new Map<string, string>();
/** Shapes kept before the texts start over (a few tables, a few hundred row counts each). */
const MAX_TEXTS = 512;

export interface InsertOptions {
  /** Columns of the inserted rows to hand back. */
  returning?: readonly string[];
  /** What a row whose key is taken does instead (`onConflictUpdate`). */
  onConflict?: string;
}

/**
 * Inserts rows, one statement per chunk, binding each row's values in `columns` order (a column a
 * row lacks gets NULL). Returns the `returning` columns of the inserted rows, if any are named.
 * With `onConflict` it is an upsert; in Postgres a statement may not touch one key twice, so the
 * rows of an upsert must have distinct keys.
 *
 * For the bulk inserts on the write path (the event log, messages): Kysely's builder parses and
 * freezes every row and value and compiles the statement afresh for each insert, which for a few
 * hundred rows took about a third of the insert's time on the event loop. Here the text is built once
 * per shape and the values go straight to the driver. Table and column names come from our code.
 */
export async function insertRows<T extends keyof Schema, R = unknown>(
  db: Kysely<Schema>,
  dialect: Dialect,
  table: T,
  columns: ReadonlyArray<keyof Insertable<Schema[T]> & string>,
  rows: ReadonlyArray<Insertable<Schema[T]>>,
  options: InsertOptions = {},
): Promise<R[]> {
  const { returning = [], onConflict = "" } = options;
  const returned: R[] = [];
  const perStatement = Math.max(1, Math.floor(MAX_VALUES / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values: unknown[] = [];
    for (const row of chunk) {
      const record = row as Record<string, unknown>;
      for (const column of columns) values.push(record[column] ?? null);
    }
    const text = statementText(dialect, table, columns, chunk.length, returning, onConflict);
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, values));
    if (returning.length > 0) returned.push(...result.rows);
  }
  return returned;
}

function statementText(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  count: number,
  returning: readonly string[],
  onConflict: string,
): string {
  const key = `${dialect} ${table} ${columns.join(",")} ${count} ${returning.join(",")} ${onConflict}`;
  let text = texts.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    let n = 0;
    for (let row = 0; row < count; row++) {
      const marks = columns.map(() => (dialect === "postgres" ? `$${++n}` : "?"));
      tuples.push(`(${marks.join(", ")})`);
    }
    text =
      `insert into ${quoted(table)} (${columns.map(quoted).join(", ")}) values ${tuples.join(", ")}` +
      (onConflict ? ` ${onConflict}` : "") +
      (returning.length > 0 ? ` returning ${returning.map(quoted).join(", ")}` : "");
    if (texts.size >= MAX_TEXTS) texts.clear();
    texts.set(key, text);
  }
  return text;
}

/**
 * The upsert clause that replaces the `replaced` columns of a row whose `keys` are taken with the
 * new row's values; `computed` sets others by SQL expressions of our own (`excluded.` names the new
 * row), such as a sum. Names and expressions come from our code.
 */
export function onConflictUpdate(
  keys: readonly string[],
  replaced: readonly string[],
  computed: Readonly<Record<string, string>> = {},
): string {
  const sets = [
    ...replaced.map((column) => `${quoted(column)} = excluded.${quoted(column)}`),
    ...Object.entries(computed).map(([column, expression]) => `${quoted(column)} = ${expression}`),
  ];
  return `on conflict (${keys.map(quoted).join(", ")}) do update set ${sets.join(", ")}`;
}

/** The columns to write rows with: every row of a batch is written with the first row's. */
export function columnsOf<T extends keyof Schema>(rows: ReadonlyArray<Insertable<Schema[T]>>) {
  return Object.keys(rows[0]!) as Array<keyof Insertable<Schema[T]> & string>;
}

const quoted = (name: string) => `"${name}"`;
