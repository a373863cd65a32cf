import {
  MAX_CUSTOM_ATTRIBUTES,
  MAX_CUSTOM_MEASURES,
  METRIC_NAME,
  type Clock,
  type InsightSettings,
} from "@switchboard/engine";
import { z } from "zod";
import type { Database } from "../platform/db/database.ts";
import { isoAt } from "../platform/time.ts";
import { Rollups, thresholdsChanged } from "./rollups.ts";

const customField = z.object({
  /** How reports and formulas call it. */
  name: z.string().regex(METRIC_NAME, "expected a lower-case name: letters, digits, _ (up to 48)"),
  /** A dotted path into the task's attributes, e.g. `survey.score`. */
  path: z
    .string()
    .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "expected a dotted path such as survey.score"),
});

/** What an account sets for its reports. */
export const insightSettings = z.object({
  /** Numeric task attributes summed as measures (each also gives `<name>_count`). */
  measures: z.array(customField).max(MAX_CUSTOM_MEASURES).default([]),
  /** Text task attributes reports can group and filter by. */
  attributes: z.array(customField).max(MAX_CUSTOM_ATTRIBUTES).default([]),
  /** An abandon that waited less than this is also a short abandon. */
  short_abandon_seconds: z.number().int().min(0).max(3600).default(5),
  /** Accepted within this many seconds counts toward service level… */
  service_level_seconds: z.number().int().min(1).max(86_400).default(20),
  /** …unless the queue has its own threshold here (queue SID → seconds). */
  queue_service_level_seconds: z
    .record(
      z.string().regex(/^WQ[0-9a-f]{32}$/, "expected a TaskQueue SID"),
      z.number().int().min(1).max(86_400),
    )
    .default({}),
  /** Facts older than this are deleted. */
  retention_months: z.number().int().min(1).max(120).default(24),
});

export type Settings = z.infer<typeof insightSettings>;

export const DEFAULT_SETTINGS: Settings = insightSettings.parse({});

/** Every custom name must be unique among measures, attributes and the built-in measures. */
export function duplicateName(settings: Settings): string | undefined {
  const names = [...settings.measures, ...settings.attributes].map((field) => field.name);
  return names.find((name, i) => names.indexOf(name) !== i);
}

export class InsightSettingsStore {
  /** The projection reads settings for every batch: kept here, refreshed on every write by this process. */
  private readonly cache = new Map<string, Settings>();
  private readonly rollups: Rollups;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {
    this.rollups = new Rollups(database.dialect);
  }

  async get(accountSid: string): Promise<Settings> {
    const cached = this.cache.get(accountSid);
    if (cached) return cached;
    const settings = await storedSettings(this.database.db, accountSid);
    this.cache.set(accountSid, settings);
    return settings;
  }

  /** Stores an account's settings; new thresholds recount its rollups in the same transaction. */
  async put(accountSid: string, settings: Settings): Promise<Settings> {
    const values = { settings: JSON.stringify(settings), date_updated: isoAt(this.clock.now()) };
    await this.database.transaction(async (tx) => {
      await this.rollups.lock(tx.db, accountSid);
      const before = await storedSettings(tx.db, accountSid);
      await tx.db
        .insertInto("insight_settings")
        .values({ account_sid: accountSid, ...values })
        .onConflict((c) => c.column("account_sid").doUpdateSet(values))
        .execute();
      if (thresholdsChanged(before, settings)) await this.rollups.rebuild(tx.db, accountSid, settings);
    });
    this.cache.set(accountSid, settings);
    return settings;
  }
}

/** An account's settings as stored (defaults where it set none), read through `db`. */
export async function storedSettings(db: Database["db"], accountSid: string): Promise<Settings> {
  const row = await db
    .selectFrom("insight_settings")
    .select("settings")
    .where("account_sid", "=", accountSid)
    .executeTakeFirst();
  return insightSettings.parse(row ? JSON.parse(row.settings) : {});
}

/** The part of the settings the projection needs. */
export function projectionSettings(settings: Settings): InsightSettings {
  return { measures: settings.measures, attributes: settings.attributes };
}
