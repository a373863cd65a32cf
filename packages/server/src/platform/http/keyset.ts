import { sql, type SelectQueryBuilder } from "kysely";
import type { PageRequest } from "./paging.ts";

/**
 * Applies a page request to a query sorted by (date_created, sid), oldest first unless told
 * otherwise: rows beyond the token's key, or the offset when there is no token, and one row more
 * than the page to tell whether another follows. Row-value comparison works the same on SQLite and
 * Postgres.
 */
export function byCreation<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: PageRequest,
  order: "asc" | "desc" = "asc",
): SelectQueryBuilder<DB, TB, O> {
  let q = query;
  if (request.after) {
    const [date, sid] = request.after;
    const beyond = sql.raw(order === "asc" ? ">" : "<");
    q = q.where(sql<boolean>`(date_created, sid) ${beyond} (${String(date)}, ${String(sid)})`);
  }
  return q
    .orderBy(sql`date_created`, order)
    .orderBy(sql`sid`, order)
    .limit(request.pageSize + 1)
    .offset(request.offset);
}

export const creationKey = (row: { dateCreated: string; sid: string }) => [row.dateCreated, row.sid];

/** The same key read from a table row. */
export const rowCreationKey = (row: { date_created: string; sid: string }) => [row.date_created, row.sid];
