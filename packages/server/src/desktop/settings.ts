import type { Clock } from "@switchboard/engine";
import { z } from "zod";
import type { Database } from "../platform/db/database.ts";
import { isoAt } from "../platform/time.ts";

/** What an account's admins set for its agents' desktops. */
export const desktopSettings = z.object({
  /** Replies an agent inserts with one click. */
  canned_responses: z
    .array(z.object({ title: z.string().min(1).max(100), body: z.string().min(1).max(4000) }))
    .max(200)
    .default([]),
  /** What an agent picks when wrapping a task up; stored on the task as `disposition`. */
  disposition_codes: z.array(z.string().min(1).max(100)).max(100).default([]),
  /**
   * The customer's record in the CRM, shown beside the conversation: `{{task.ATTRIBUTE}}` is
   * replaced by the task's attribute, URL-encoded. Empty: no CRM panel.
   */
  crm_url_template: z
    .string()
    .max(2000)
    .refine((v) => v === "" || /^https?:\/\//.test(v), "expected an http(s) URL")
    .default(""),
  /**
   * Desktop plugins to load, in order: ES modules served from the plugin directory
   * (`SWITCHBOARD_PLUGIN_DIR`, at /plugins/), so the page's script policy stays "this server only".
   */
  plugins: z
    .array(
      z
        .string()
        .regex(
          /^\/plugins\/[A-Za-z0-9_-][A-Za-z0-9._/-]*\.m?js$/,
          "expected a path like /plugins/NAME/index.js",
        )
        .refine((v) => !v.includes(".."), "must not climb out of /plugins/"),
    )
    .max(50)
    .default([]),
});

export type DesktopSettings = z.infer<typeof desktopSettings>;

export class DesktopSettingsStore {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async get(accountSid: string): Promise<DesktopSettings> {
    const row = await this.database.db
      .selectFrom("desktop_settings")
      .select("settings")
      .where("account_sid", "=", accountSid)
      .executeTakeFirst();
    return desktopSettings.parse(row ? JSON.parse(row.settings) : {});
  }

  async put(accountSid: string, settings: DesktopSettings): Promise<DesktopSettings> {
    const values = { settings: JSON.stringify(settings), date_updated: isoAt(this.clock.now()) };
    await this.database.db
      .insertInto("desktop_settings")
      .values({ account_sid: accountSid, ...values })
      .onConflict((c) => c.column("account_sid").doUpdateSet(values))
      .execute();
    return settings;
  }
}
