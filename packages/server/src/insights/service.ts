import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database } from "../platform/db/database.ts";
import { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import { AlertRules } from "./alerts.ts";
import { MetricDefinitions } from "./definitions.ts";
import { FactStore } from "./facts.ts";
import type { Mailer } from "./mailer.ts";
import { InsightsProjector } from "./projector.ts";
import { Reports, type Report, type ReportQuery } from "./report.ts";
import { sweepExpiredFacts } from "./retention.ts";
import { ReportSchedules } from "./schedules.ts";
import { InsightSettingsStore } from "./settings.ts";

const SWEEP_EVERY_MS = 3_600_000;

/**
 * Reporting, wired together: the projection keeping facts current, reports over them with each
 * account's settings and metric definitions, and the periodic checks (alert rules, scheduled
 * report emails, retention).
 */
export class Insights {
  readonly settings: InsightSettingsStore;
  readonly definitions: MetricDefinitions;
  readonly facts: FactStore;
  readonly projector: InsightsProjector;
  readonly reports: Reports;
  readonly alerts: AlertRules;
  readonly schedules: ReportSchedules;
  private readonly checks: Passes;
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly database: Database,
    events: EventLog,
    private readonly clock: Clock,
    ids: SidGenerator,
    readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: { pollIntervalMs: number; checkMs: number },
  ) {
    this.settings = new InsightSettingsStore(database, clock);
    this.definitions = new MetricDefinitions(database, this.settings, clock);
    this.facts = new FactStore(database);
    this.projector = new InsightsProjector(
      database,
      events,
      new ConsumerCursors(database, clock),
      this.facts,
      this.settings,
      logger,
      options.pollIntervalMs,
    );
    this.reports = new Reports(database, this.facts, clock);
    this.alerts = new AlertRules(
      database,
      events,
      new ConsumerCursors(database, clock),
      mailer,
      ids,
      clock,
      logger,
      options.pollIntervalMs,
    );
    this.schedules = new ReportSchedules(database, mailer, ids, clock, logger);
    this.checks = new Passes(
      () => this.check(),
      (error) => logger.error({ err: error }, "insights checks failed"),
    );
  }

  /** A report with the account's settings and metric definitions. */
  async report(query: ReportQuery): Promise<Report> {
    const [settings, catalog] = await Promise.all([
      this.settings.get(query.accountSid),
      this.definitions.catalog(query.accountSid),
    ]);
    return this.reports.run(query, catalog, settings);
  }

  /** The account's alert rules and report schedules that use `metric`, by name. */
  async metricUsers(accountSid: string, metric: string): Promise<string[]> {
    const [alerts, schedules] = await Promise.all([
      this.database.db
        .selectFrom("insight_alerts")
        .select("friendly_name")
        .where("account_sid", "=", accountSid)
        .where("metric", "=", metric)
        .execute(),
      this.database.db
        .selectFrom("insight_schedules")
        .select(["friendly_name", "report"])
        .where("account_sid", "=", accountSid)
        .execute(),
    ]);
    return [
      ...alerts.map((a) => `alert "${a.friendly_name}"`),
      ...schedules
        .filter((s) => (JSON.parse(s.report) as { metrics: string[] }).metrics.includes(metric))
        .map((s) => `schedule "${s.friendly_name}"`),
    ];
  }

  start(): void {
    this.projector.start();
    this.alerts.start();
    this.timer = setInterval(() => this.checks.request(), this.options.checkMs);
    this.checks.request();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checks.stop();
    await this.alerts.stop();
    await this.projector.stop();
    this.mailer.close();
  }

  /** One round of the periodic work. */
  private async check(): Promise<void> {
    const report = (query: ReportQuery) => this.report(query);
    await this.alerts.evaluate(report);
    await this.schedules.runDue(report);
    if (this.clock.now() - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = this.clock.now();
      const deleted = await sweepExpiredFacts(this.database, this.clock);
      if (deleted > 0) this.logger.info({ deleted }, "insight facts past retention deleted");
    }
  }
}
