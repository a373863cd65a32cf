import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database } from "../platform/db/database.ts";
import type { InsightAlertsTable } from "../platform/db/schema.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import { EventConsumer } from "../platform/events/event-consumer.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import type { PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";
import { WorkspaceRows } from "./workspace-rows.ts";
import type { ExternalSubscription } from "../webhooks/store.ts";
import type { Mailer } from "./mailer.ts";
import type { Report, ReportQuery } from "./report.ts";

export const ALERT_FIRED = "insights.alert.fired";
export const ALERT_RESOLVED = "insights.alert.resolved";
const ALERT_EVENTS = [ALERT_FIRED, ALERT_RESOLVED];

export type Comparison = "below" | "above";

export interface AlertInput {
  workspaceSid: string;
  friendlyName: string;
  metric: string;
  comparison: Comparison;
  threshold: number;
  windowMinutes: number;
  queueSid: string | null;
  emailTo: string[];
  webhookUrl: string | null;
  enabled: boolean;
}

export type AlertRow = InsightAlertsTable;

/** After firing, an alert whose email could not be sent for this long is given up on. */
const MAIL_GIVE_UP_MS = 3_600_000;

/**
 * Threshold rules on any metric. Each rule is evaluated every check over the trailing window
 * (service level over the last 15 minutes, say); crossing into breach fires it, coming back
 * resolves it. Either change is written with an event (`insights.alert.fired` / `.resolved`) in
 * one transaction, so notifications ride the event log: the rule's webhook URL is an outbox
 * subscription (signed, retried, in the delivery log) and its email is sent by a consumer that
 * moves its cursor only after the relay took the message.
 */
export class AlertRules {
  private readonly rows: WorkspaceRows<"insight_alerts">;
  private readonly mailConsumer: EventConsumer;

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    cursors: ConsumerCursors,
    private readonly mailer: Mailer,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.rows = new WorkspaceRows(database, "insight_alerts");
    this.mailConsumer = new EventConsumer(
      "insights.alert-mail",
      events,
      cursors,
      (batch) => this.mail(batch),
      logger,
      pollIntervalMs,
    );
  }

  start(): void {
    this.mailConsumer.start();
  }

  stop(): Promise<void> {
    return this.mailConsumer.stop();
  }

  get(accountSid: string, sid: string): Promise<AlertRow | undefined> {
    return this.rows.get(accountSid, sid);
  }

  list(accountSid: string, workspaceSid: string, request: PageRequest): Promise<AlertRow[]> {
    return this.rows.list(accountSid, workspaceSid, request);
  }

  remove(accountSid: string, sid: string): Promise<boolean> {
    return this.rows.remove(accountSid, sid);
  }

  async create(accountSid: string, input: AlertInput): Promise<AlertRow> {
    const now = isoAt(this.clock.now());
    const row: AlertRow = {
      sid: this.ids.next("AL"),
      account_sid: accountSid,
      ...columns(input),
      state: "ok",
      last_value: null,
      date_evaluated: null,
      date_fired: null,
      date_created: now,
      date_updated: now,
    };
    await this.database.db.insertInto("insight_alerts").values(row).execute();
    return row;
  }

  async update(accountSid: string, sid: string, input: AlertInput): Promise<AlertRow | undefined> {
    await this.database.db
      .updateTable("insight_alerts")
      .set({ ...columns(input), date_updated: isoAt(this.clock.now()) })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .execute();
    return this.get(accountSid, sid);
  }

  /** Evaluates every enabled rule of every account once. */
  async evaluate(report: (query: ReportQuery) => Promise<Report>): Promise<void> {
    const rules = await this.database.db
      .selectFrom("insight_alerts")
      .selectAll()
      .where("enabled", "=", 1)
      .execute();
    const now = this.clock.now();
    for (const rule of rules) {
      try {
        await this.evaluateOne(rule, now, report);
      } catch (error) {
        // A rule whose metric was since removed, say: the others still run.
        this.logger.warn({ err: error, alert: rule.sid }, "alert rule could not be evaluated");
      }
    }
  }

  private async evaluateOne(
    rule: AlertRow,
    now: number,
    report: (query: ReportQuery) => Promise<Report>,
  ): Promise<void> {
    const result = await report({
      accountSid: rule.account_sid,
      workspaceSid: rule.workspace_sid,
      from: now - rule.window_minutes * 60_000,
      to: now,
      interval: "all",
      timeZone: "UTC",
      groupBy: [],
      metrics: [rule.metric],
      filters: rule.queue_sid ? { queue: [rule.queue_sid] } : {},
    });
    const value = result.totals.values[rule.metric] ?? null;
    // No value (nothing offered in the window): the state stands.
    const breached =
      value === null
        ? rule.state === "firing"
        : rule.comparison === "below"
          ? value < rule.threshold
          : value > rule.threshold;
    const state = breached ? "firing" : "ok";
    await this.database.transaction(async (tx) => {
      const changed = await tx.db
        .updateTable("insight_alerts")
        .set({
          state,
          last_value: value,
          date_evaluated: isoAt(now),
          ...(state !== rule.state && state === "firing" && { date_fired: isoAt(now) }),
        })
        .where("sid", "=", rule.sid)
        // Another node evaluating the same rule at once: only one records the change.
        .where("state", "=", rule.state)
        .executeTakeFirst();
      if (state === rule.state || Number(changed.numUpdatedRows) === 0) return;
      await this.events.append(tx, rule.account_sid, [
        {
          eventType: state === "firing" ? ALERT_FIRED : ALERT_RESOLVED,
          resourceType: "alert",
          resourceSid: rule.sid,
          scopeSid: rule.sid,
          description: `Alert ${rule.friendly_name} ${state === "firing" ? "fired" : "resolved"}: ${rule.metric} is ${value ?? "unknown"} (${rule.comparison} ${rule.threshold} is a breach)`,
          data: {
            AlertSid: rule.sid,
            AlertName: rule.friendly_name,
            Metric: rule.metric,
            Value: value === null ? "" : String(value),
            Comparison: rule.comparison,
            Threshold: String(rule.threshold),
            WindowMinutes: String(rule.window_minutes),
            ...(rule.queue_sid && { TaskQueueSid: rule.queue_sid }),
            AlertWorkspaceSid: rule.workspace_sid,
          },
        },
      ]);
    });
  }

  /** Rules with a webhook URL, as outbox subscriptions to their own fired/resolved events. */
  async subscriptions(batch: StoredEvent[]): Promise<ExternalSubscription[]> {
    const sids = [
      ...new Set(batch.filter((e) => ALERT_EVENTS.includes(e.eventType)).map((e) => e.resourceSid)),
    ];
    if (sids.length === 0) return [];
    const rules = await this.database.db
      .selectFrom("insight_alerts")
      .select(["sid", "account_sid", "webhook_url", "date_created"])
      .where("sid", "in", sids)
      .where("webhook_url", "is not", null)
      .execute();
    return rules.map((rule) => ({
      sid: rule.sid,
      accountSid: rule.account_sid,
      url: rule.webhook_url!,
      eventTypes: ALERT_EVENTS,
      scopeSid: rule.sid,
      dateCreated: rule.date_created,
    }));
  }

  private async mail(batch: StoredEvent[]): Promise<void> {
    for (const event of batch) {
      if (!ALERT_EVENTS.includes(event.eventType)) continue;
      // A rule deleted since it fired has no one left to tell.
      const rule = await this.get(event.accountSid, event.resourceSid);
      if (!rule) continue;
      const to = JSON.parse(rule.email_to) as string[];
      if (to.length === 0) continue;
      try {
        await this.mailer.send({
          to,
          subject: `[Switchboard] ${event.eventType === ALERT_FIRED ? "Alert" : "Resolved"}: ${rule.friendly_name}`,
          text: `${event.description}\n\nWorkspace: ${rule.workspace_sid}\nWindow: the last ${rule.window_minutes} minutes\nAt: ${event.dateCreated}\n`,
        });
      } catch (error) {
        if (this.clock.now() - Date.parse(event.dateCreated) < MAIL_GIVE_UP_MS) throw error;
        this.logger.error({ err: error, alert: rule.sid, event: event.sid }, "alert email given up");
      }
    }
  }
}

function columns(input: AlertInput) {
  return {
    workspace_sid: input.workspaceSid,
    friendly_name: input.friendlyName,
    metric: input.metric,
    comparison: input.comparison,
    threshold: input.threshold,
    window_minutes: input.windowMinutes,
    queue_sid: input.queueSid,
    email_to: JSON.stringify(input.emailTo),
    webhook_url: input.webhookUrl,
    enabled: input.enabled ? 1 : 0,
  };
}
