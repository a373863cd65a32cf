import { Migrator, type Migration, type MigrationResult } from "kysely";
import type { Database, Dialect } from "./database.ts";
import * as foundation from "./migrations/0001-foundation.ts";
import * as routing from "./migrations/0002-routing.ts";
import * as eventScopes from "./migrations/0003-event-scopes.ts";
import * as conversations from "./migrations/0004-conversations.ts";
import * as messaging from "./migrations/0005-messaging.ts";
import * as serviceWindows from "./migrations/0006-service-windows.ts";
import * as media from "./migrations/0007-media.ts";
import * as flows from "./migrations/0008-flows.ts";
import * as people from "./migrations/0009-people.ts";
import * as adminConsole from "./migrations/0010-console.ts";
import * as insights from "./migrations/0011-insights.ts";
import * as insightRollups from "./migrations/0012-insight-rollups.ts";
import * as earlyReports from "./migrations/0013-early-reports.ts";
import * as orderedDeliveries from "./migrations/0014-ordered-deliveries.ts";

/**
 * Versioned migrations, applied in name order and recorded in `kysely_migration`. A migration is
 * never edited once released: a change to the schema is a new file here.
 */
const MIGRATIONS: Record<
  string,
  { up(db: Parameters<Migration["up"]>[0], dialect: Dialect): Promise<void> }
> = {
  "0001-foundation": foundation,
  "0002-routing": routing,
  "0003-event-scopes": eventScopes,
  "0004-conversations": conversations,
  "0005-messaging": messaging,
  "0006-service-windows": serviceWindows,
  "0007-media": media,
  "0008-flows": flows,
  "0009-people": people,
  "0010-console": adminConsole,
  "0011-insights": insights,
  "0012-insight-rollups": insightRollups,
  "0013-early-reports": earlyReports,
  "0014-ordered-deliveries": orderedDeliveries,
};

export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(
      `migration ${migration ?? "(setup)"} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = "MigrationError";
  }
}

/** Brings the schema up to date; returns the names of the migrations it applied (empty when current). */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    // Named, or Kysely takes another schema's migration tables (a second deployment, or a test, in
    // the same database) for ours.
    migrationTableSchema: database.schema,
    provider: {
      getMigrations: () =>
        Promise.resolve(
          Object.fromEntries(
            Object.entries(MIGRATIONS).map(([name, m]) => [name, { up: (db) => m.up(db, database.dialect) }]),
          ),
        ),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === "Error");
    throw new MigrationError(failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
