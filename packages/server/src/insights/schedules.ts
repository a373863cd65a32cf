import {
  intervalStart,
  zoneOffsetMs,
  type Clock,
  type ReportInterval,
  type SidGenerator,
} from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database } from "../platform/db/database.ts";
import type { InsightSchedulesTable } from "../platform/db/schema.ts";
import type { PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";
import { WorkspaceRows } from "./workspace-rows.ts";
import { reportTable, toCsv, toXlsx } from "./export.ts";
import type { Mailer } from "./mailer.ts";
import type { Report, ReportQuery } from "./report.ts";

export type Frequency = "daily" | "weekly";
export type ExportFormat = "csv" | "xlsx";

/** What a scheduled email reports. */
export interface ScheduledReport {
  metrics: string[];
  groupBy: string[];
  interval: ReportInterval;
}

export interface ScheduleInput {
  workspaceSid: string;
  friendlyName: string;
  report: ScheduledReport;
  frequency: Frequency;
  timeZone: string;
  hour: number;
  format: ExportFormat;
  emailTo: string[];
}

export type ScheduleRow = InsightSchedulesTable;

/** A failed send is tried again this much later. */
const RETRY_MS = 5 * 60_000;
/** While one node sends, the row is due this much later, so no other node sends it too. */
const LEASE_MS = 10 * 60_000;

/**
 * Report emails on a schedule: daily (yesterday, sent at the chosen local hour) or weekly (the seven
 * days before Monday, sent on Mondays), as a CSV or Excel attachment.
 */
export class ReportSchedules {
  private readonly rows: WorkspaceRows<"insight_schedules">;
  constructor(
    private readonly database: Database,
    private readonly mailer: Mailer,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.rows = new WorkspaceRows(database, "insight_schedules");
  }

  get(accountSid: string, sid: string): Promise<ScheduleRow | undefined> {
    return this.rows.get(accountSid, sid);
  }

  list(accountSid: string, workspaceSid: string, request: PageRequest): Promise<ScheduleRow[]> {
    return this.rows.list(accountSid, workspaceSid, request);
  }

  remove(accountSid: string, sid: string): Promise<boolean> {
    return this.rows.remove(accountSid, sid);
  }

  async create(accountSid: string, input: ScheduleInput): Promise<ScheduleRow> {
    const now = this.clock.now();
    const row: ScheduleRow = {
      sid: this.ids.next("RP"),
      account_sid: accountSid,
      ...columns(input),
      next_run_at: isoAt(nextRun(input, now)),
      date_last_sent: null,
      last_error: null,
      date_created: isoAt(now),
      date_updated: isoAt(now),
    };
    await this.database.db.insertInto("insight_schedules").values(row).execute();
    return row;
  }

  async update(accountSid: string, sid: string, input: ScheduleInput): Promise<ScheduleRow | undefined> {
    const now = this.clock.now();
    await this.database.db
      .updateTable("insight_schedules")
      .set({ ...columns(input), next_run_at: isoAt(nextRun(input, now)), date_updated: isoAt(now) })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .execute();
    return this.get(accountSid, sid);
  }

  /** Sends every schedule that fell due. */
  async runDue(report: (query: ReportQuery) => Promise<Report>): Promise<void> {
    const now = this.clock.now();
    const due = await this.database.db
      .selectFrom("insight_schedules")
      .selectAll()
      .where("next_run_at", "<=", isoAt(now))
      .execute();
    for (const row of due) {
      const claimed = await this.database.db
        .updateTable("insight_schedules")
        .set({ next_run_at: isoAt(now + LEASE_MS) })
        .where("sid", "=", row.sid)
        .where("next_run_at", "=", row.next_run_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      try {
        await this.send(row, report);
        await this.database.db
          .updateTable("insight_schedules")
          .set({
            next_run_at: isoAt(nextRun(inputOf(row), now)),
            date_last_sent: isoAt(now),
            last_error: null,
          })
          .where("sid", "=", row.sid)
          .execute();
      } catch (error) {
        this.logger.warn({ err: error, schedule: row.sid }, "scheduled report not sent");
        await this.database.db
          .updateTable("insight_schedules")
          .set({
            next_run_at: isoAt(now + RETRY_MS),
            last_error: error instanceof Error ? error.message : String(error),
          })
          .where("sid", "=", row.sid)
          .execute();
      }
    }
  }

  /** Builds the schedule's report for the period that just ended and mails it. */
  async send(row: ScheduleRow, report: (query: ReportQuery) => Promise<Report>): Promise<void> {
    const input = inputOf(row);
    const end = intervalStart(this.clock.now(), "day", input.timeZone, 0);
    const days = input.frequency === "weekly" ? 7 : 1;
    const start = intervalStart(end - days * 86_400_000 + 3_600_000 * 3, "day", input.timeZone, 0);
    const result = await report({
      accountSid: row.account_sid,
      workspaceSid: row.workspace_sid,
      from: start,
      to: end,
      interval: input.report.interval,
      timeZone: input.timeZone,
      groupBy: input.report.groupBy,
      metrics: input.report.metrics,
      filters: {},
    });
    const { header, rows } = reportTable(result);
    const day = (ms: number) => new Date(ms + zoneOffsetMs(ms, input.timeZone)).toISOString().slice(0, 10);
    const period = days === 1 ? day(start) : `${day(start)} to ${day(end - 1)}`;
    const filename = `${slug(input.friendlyName)}-${day(start)}.${input.format}`;
    await this.mailer.send({
      to: input.emailTo,
      subject: `[Switchboard] ${input.friendlyName}: ${period}`,
      text: `${input.friendlyName} for ${period} (${input.timeZone}) is attached: ${result.rows.length} rows.\n`,
      attachments: [
        input.format === "csv"
          ? { filename, content: toCsv(header, rows), contentType: "text/csv" }
          : {
              filename,
              content: await toXlsx(input.friendlyName, header, rows),
              contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            },
      ],
    });
  }
}

/** The next time a schedule sends after `now`: its local hour, on the next day (or Monday) that has it ahead. */
export function nextRun(input: Pick<ScheduleInput, "frequency" | "timeZone" | "hour">, now: number): number {
  let day = intervalStart(now, "day", input.timeZone, 0);
  for (let i = 0; i < 9; i++) {
    const at = day + input.hour * 3_600_000;
    const local = new Date(at + zoneOffsetMs(at, input.timeZone));
    const monday = local.getUTCDay() === 1;
    if (at > now && (input.frequency === "daily" || monday)) return at;
    // Noon of the next local day is always inside it, DST or not.
    day = intervalStart(day + 36 * 3_600_000, "day", input.timeZone, 0);
  }
  throw new Error("no next run found within nine days");
}

function columns(input: ScheduleInput) {
  return {
    workspace_sid: input.workspaceSid,
    friendly_name: input.friendlyName,
    report: JSON.stringify(input.report),
    frequency: input.frequency,
    time_zone: input.timeZone,
    hour: input.hour,
    format: input.format,
    email_to: JSON.stringify(input.emailTo),
  };
}

export function inputOf(row: ScheduleRow): ScheduleInput {
  return {
    workspaceSid: row.workspace_sid,
    friendlyName: row.friendly_name,
    report: JSON.parse(row.report) as ScheduledReport,
    frequency: row.frequency as Frequency,
    timeZone: row.time_zone,
    hour: Number(row.hour),
    format: row.format as ExportFormat,
    emailTo: JSON.parse(row.email_to) as string[],
  };
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "report"
  );
}
