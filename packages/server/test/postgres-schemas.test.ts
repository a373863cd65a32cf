import { describe, expect, it } from "vitest";
import { Database } from "../src/platform/db/database.ts";
import { migrateToLatest } from "../src/platform/db/migrate.ts";
import { dialects } from "./support/databases.ts";

const postgres = dialects().find((d) => d.dialect === "postgres")!;

describe("deployments sharing one Postgres database in their own schemas", () => {
  it.skipIf(postgres.unavailable)("migrates each schema on its own, whatever the others hold", async () => {
    const first = await postgres.create();
    const second = await postgres.create();
    try {
      const a = Database.open(first.url);
      expect((await migrateToLatest(a)).length).toBeGreaterThan(0);
      await a.close();
      // The first schema's migration tables exist now; the second must still get its own.
      const b = Database.open(second.url);
      const applied = await migrateToLatest(b);
      expect(applied).toContain("0001-foundation");
      expect(await migrateToLatest(b)).toEqual([]);
      await b.ping();
      await b.close();
    } finally {
      await first.drop();
      await second.drop();
    }
  });
});
