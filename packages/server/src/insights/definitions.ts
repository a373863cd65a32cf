import { MetricCatalog, type Clock, type MetricDefinition, type MetricFormat } from "@switchboard/engine";
import type { Database } from "../platform/db/database.ts";
import { isoAt } from "../platform/time.ts";
import type { InsightSettingsStore } from "./settings.ts";

export interface StoredMetric extends MetricDefinition {
  dateCreated: string;
  dateUpdated: string;
}

/**
 * An account's metric definitions: additions, and redefinitions of standard metrics (which then
 * change in every report, alert and scheduled email, since each builds its catalog from here).
 */
export class MetricDefinitions {
  constructor(
    private readonly database: Database,
    private readonly settings: InsightSettingsStore,
    private readonly clock: Clock,
  ) {}

  async list(accountSid: string): Promise<StoredMetric[]> {
    const rows = await this.database.db
      .selectFrom("insight_metrics")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .orderBy("name")
      .execute();
    return rows.map((row) => ({
      name: row.name,
      formula: row.formula,
      format: row.format as MetricFormat,
      description: row.description,
      dateCreated: row.date_created,
      dateUpdated: row.date_updated,
    }));
  }

  /**
   * The account's catalog. `change` previews it with one definition added or changed, or one
   * removed (a removed redefinition gives the standard metric back); it throws if that breaks it.
   */
  async catalog(accountSid: string, change?: MetricDefinition | { remove: string }): Promise<MetricCatalog> {
    const [stored, settings] = await Promise.all([this.list(accountSid), this.settings.get(accountSid)]);
    const name = change && ("remove" in change ? change.remove : change.name);
    const definitions: MetricDefinition[] = stored.filter((d) => d.name !== name);
    if (change && !("remove" in change)) definitions.push(change);
    return new MetricCatalog(
      definitions,
      settings.measures.map((m) => m.name),
    );
  }

  /** The account's catalog were its custom measures these (it throws if a metric would lose one). */
  async catalogWithMeasures(accountSid: string, measures: string[]): Promise<MetricCatalog> {
    return new MetricCatalog(await this.list(accountSid), measures);
  }

  /** Saves a definition the catalog accepted. */
  async put(accountSid: string, definition: MetricDefinition): Promise<void> {
    const now = isoAt(this.clock.now());
    const values = {
      formula: definition.formula,
      format: definition.format,
      description: definition.description,
      date_updated: now,
    };
    await this.database.db
      .insertInto("insight_metrics")
      .values({ account_sid: accountSid, name: definition.name, ...values, date_created: now })
      .onConflict((c) => c.columns(["account_sid", "name"]).doUpdateSet(values))
      .execute();
  }

  /** Removes an account's definition: a redefined standard metric goes back to the standard one. */
  async remove(accountSid: string, name: string): Promise<boolean> {
    const result = await this.database.db
      .deleteFrom("insight_metrics")
      .where("account_sid", "=", accountSid)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
