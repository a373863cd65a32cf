import type { Database } from "../platform/db/database.ts";
import type { Schema } from "../platform/db/schema.ts";
import type { PageRequest } from "../platform/http/paging.ts";
import { byCreation } from "../platform/http/keyset.ts";

/** Tables of rows an account keeps per workspace, by SID: alert rules and report schedules. */
type RowTable = "insight_alerts" | "insight_schedules";

/** Reads and deletes of one such table, always within the caller's account. */
export class WorkspaceRows<T extends RowTable> {
  /**
   * The table as the query builder sees it: both tables have the columns these queries use
   * (account_sid, workspace_sid, sid, date_created), and Kysely cannot type a table name that is a
   * type parameter.
   */
  private readonly builderTable: "insight_alerts";

  constructor(
    private readonly database: Database,
    table: T,
  ) {
    this.builderTable = table as "insight_alerts";
  }

  async get(accountSid: string, sid: string): Promise<Schema[T] | undefined> {
    const row = await this.database.db
      .selectFrom(this.builderTable)
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return row as Schema[T] | undefined;
  }

  async list(accountSid: string, workspaceSid: string, request: PageRequest): Promise<Schema[T][]> {
    const rows = await byCreation(
      this.database.db
        .selectFrom(this.builderTable)
        .selectAll()
        .where("account_sid", "=", accountSid)
        .where("workspace_sid", "=", workspaceSid),
      request,
    ).execute();
    return rows as Schema[T][];
  }

  async remove(accountSid: string, sid: string): Promise<boolean> {
    const result = await this.database.db
      .deleteFrom(this.builderTable)
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
