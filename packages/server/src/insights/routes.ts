import {
  FormulaError,
  METRIC_FORMATS,
  METRIC_NAME,
  MetricError,
  REPORT_INTERVALS,
  SEGMENT_MEASURES,
  STANDARD_METRICS,
  WORKER_MEASURES,
  isTimeZone,
  type Clock,
  type SegmentFact,
} from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ApiError, conflict, invalidParameter, notFound } from "../platform/errors.ts";
import {
  origin,
  pageOf,
  pageRequest,
  pagingQuery,
  v1List,
  type PageRequest,
} from "../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { isoAt } from "../platform/time.ts";
import type { RoutingService } from "../routing/service.ts";
import type { AlertInput, AlertRow } from "./alerts.ts";
import { reportTable, toCsv, toXlsx } from "./export.ts";
import { COUNTED_MEASURES } from "./measures.ts";
import { DIMENSIONS, ReportError, dimension, type Report, type ReportQuery } from "./report.ts";
import { inputOf, type ScheduleInput, type ScheduleRow } from "./schedules.ts";
import type { Insights } from "./service.ts";
import { duplicateName, insightSettings, type Settings } from "./settings.ts";

const tags = ["Insights"];
const INSIGHTS = `${API_PREFIX}/Insights`;
const WORKSPACE_INSIGHTS = `${API_PREFIX}/Workspaces/:WorkspaceSid/Insights`;
const workspaceParams = z.object({ WorkspaceSid: z.string() });

/** A parameter given once with commas, or repeated: `GroupBy=queue,channel` or `GroupBy=queue&GroupBy=channel`. */
const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    (v === undefined ? [] : Array.isArray(v) ? v : [v])
      .flatMap((item) => item.split(","))
      .map((item) => item.trim())
      .filter(Boolean),
  );

const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), "expected an ISO 8601 date and time")
  .transform((v) => Date.parse(v))
  .optional();

/** Which segments: a time range and the dimension filters (`Queue=WQ…`, `Filter=language:fr` for custom attributes). */
const scopeQuery = z.object({
  StartDate: isoDate,
  EndDate: isoDate,
  Queue: list,
  Worker: list,
  Team: list,
  Channel: list,
  Direction: list,
  Workflow: list,
  Filter: list,
});

const reportQuery = scopeQuery.extend({
  Interval: z.enum(REPORT_INTERVALS).default("60m"),
  TimeZone: z
    .string()
    .default("UTC")
    .refine((v) => isTimeZone(v), "expected an IANA time zone such as Europe/Paris"),
  GroupBy: list,
  Metrics: list,
});

const segmentsQuery = scopeQuery.extend(pagingQuery.shape).extend({
  Measure: z.enum(COUNTED_MEASURES).default("offered"),
});

const metricBody = z.object({
  Formula: z.string().min(1).max(2000),
  Format: z.enum(METRIC_FORMATS).default("number"),
  Description: z.string().max(500).default(""),
});

const emails = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined
      ? []
      : (Array.isArray(v) ? v : [v])
          .flatMap((e) => e.split(","))
          .map((e) => e.trim())
          .filter(Boolean),
  )
  .pipe(z.array(z.string().email("expected email addresses")).max(20));

const alertBody = z.object({
  FriendlyName: z.string().min(1).max(255),
  Metric: z.string().regex(METRIC_NAME),
  Comparison: z.enum(["below", "above"]),
  Threshold: z.coerce.number(),
  WindowMinutes: z.coerce.number().int().min(1).max(1440).default(15),
  TaskQueueSid: z
    .string()
    .regex(/^WQ[0-9a-f]{32}$/)
    .optional(),
  EmailTo: emails,
  WebhookUrl: z
    .string()
    .url()
    .refine((v) => /^https?:\/\//.test(v), "expected an http(s) URL")
    .optional(),
  Enabled: z.enum(["true", "false"]).default("true"),
});

const scheduleBody = z.object({
  FriendlyName: z.string().min(1).max(255),
  Metrics: list,
  GroupBy: list,
  Interval: z.enum(REPORT_INTERVALS).default("60m"),
  Frequency: z.enum(["daily", "weekly"]),
  TimeZone: z
    .string()
    .default("UTC")
    .refine((v) => isTimeZone(v), "expected an IANA time zone such as Europe/Paris"),
  Hour: z.coerce.number().int().min(0).max(23).default(7),
  Format: z.enum(["csv", "xlsx"]).default("csv"),
  EmailTo: emails,
});

const DEFAULT_METRICS = [
  "offered",
  "handled",
  "abandoned",
  "service_level",
  "average_speed_of_answer",
  "average_handle_time",
];

/**
 * Insights API (docs/INSIGHTS.md): reports and their exports, the segments behind a figure, paged
 * exports for a data warehouse, settings, metric definitions, alert rules and report schedules.
 */
export function insightRoutes(
  app: HttpServer,
  insights: Insights,
  routing: RoutingService,
  clock: Clock,
): void {
  const workspace = (request: FastifyRequest) => {
    const { WorkspaceSid } = request.params as { WorkspaceSid: string };
    if (!routing.get(request.principal.accountSid, WorkspaceSid))
      throw notFound(`The requested resource ${API_PREFIX}/Workspaces/${WorkspaceSid} was not found`);
    return WorkspaceSid;
  };

  const runReport = async (request: FastifyRequest, q: z.infer<typeof reportQuery>): Promise<Report> => {
    const settings = await insights.settings.get(request.principal.accountSid);
    const query: ReportQuery = {
      accountSid: request.principal.accountSid,
      workspaceSid: workspace(request),
      ...range(q.StartDate, q.EndDate, clock.now()),
      interval: q.Interval,
      timeZone: q.TimeZone,
      groupBy: q.GroupBy,
      metrics: q.Metrics.length > 0 ? q.Metrics : DEFAULT_METRICS,
      filters: filtersOf(q, settings),
    };
    if (query.groupBy.length > 2) throw invalidParameter("Invalid parameter GroupBy: at most two dimensions");
    return explained(() => insights.report(query));
  };

  for (const format of ["", ".csv", ".xlsx"] as const) {
    app.get(
      `${WORKSPACE_INSIGHTS}/Report${format}`,
      {
        schema: {
          tags,
          summary: `Metrics by interval and dimension${format ? ` as ${format.slice(1).toUpperCase()}` : ""}`,
          params: workspaceParams,
          querystring: reportQuery,
        },
      },
      async (request, reply) => {
        const report = await runReport(request, request.query);
        if (format === "") return reportJson(request, report);
        const { header, rows } = reportTable(report);
        const name = `report-${new Date(report.from).toISOString().slice(0, 10)}${format}`;
        reply.header("Content-Disposition", `attachment; filename="${name}"`);
        if (format === ".csv") return reply.type("text/csv; charset=utf-8").send(toCsv(header, rows));
        return reply
          .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
          .send(await toXlsx("Report", header, rows));
      },
    );
  }

  app.get(
    `${WORKSPACE_INSIGHTS}/Segments`,
    {
      schema: {
        tags,
        summary: "The task segments behind a figure: a time range, dimension filters and a measure",
        params: workspaceParams,
        querystring: segmentsQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const accountSid = request.principal.accountSid;
      const settings = await insights.settings.get(accountSid);
      const { from, to } = range(q.StartDate, q.EndDate, clock.now());
      const page = pageRequest(q);
      const rows = await insights.reports.segments(
        {
          accountSid,
          workspaceSid: workspace(request),
          from,
          to,
          filters: explained(() => filtersOf(q, settings)),
        },
        q.Measure,
        settings,
        page,
      );
      const result = pageOf(rows, page, (s) => [s.enteredAt, s.taskSid, s.segment]);
      return v1List(request, "segments", page, {
        ...result,
        items: result.items.map((s) => segmentJson(s, settings)),
      });
    },
  );

  const exportQuery = pagingQuery.extend({
    ChangedAfter: z.coerce.number().int().min(0).default(0),
  });
  app.get(
    `${INSIGHTS}/Exports/Segments`,
    {
      schema: {
        tags,
        summary:
          "Every task segment of the account in the order the projection last changed them, for loading a warehouse",
        querystring: exportQuery,
      },
    },
    async (request) => {
      const accountSid = request.principal.accountSid;
      const settings = await insights.settings.get(accountSid);
      const page = pageRequest(request.query);
      const rows = await insights.facts.changedSegments(
        accountSid,
        page.after ?? [request.query.ChangedAfter, "", 0],
        page.pageSize + 1,
      );
      const result = pageOf(rows, page, (s) => [s.lastSeq, s.taskSid, s.segment]);
      return v1List(request, "segments", page, {
        ...result,
        items: result.items.map((s) => segmentJson(s, settings)),
      });
    },
  );

  app.get(
    `${INSIGHTS}/Exports/Conversations`,
    {
      schema: {
        tags,
        summary: "Every conversation fact of the account in the order the projection last changed them",
        querystring: exportQuery,
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await insights.facts.changedConversations(
        request.principal.accountSid,
        page.after ?? [request.query.ChangedAfter, ""],
        page.pageSize + 1,
      );
      const result = pageOf(rows, page, (c) => [c.lastSeq, c.conversationSid]);
      return v1List(request, "conversations", page, {
        ...result,
        items: result.items.map((c) => ({
          conversation_sid: c.conversationSid,
          account_sid: c.accountSid,
          channel: c.channel,
          date_created: isoAt(c.createdAt),
          date_closed: dateOrNull(c.closedAt),
          first_author: c.firstAuthor,
          date_first_message: dateOrNull(c.firstMessageAt),
          date_first_reply: dateOrNull(c.firstReplyAt),
          first_reply_seconds:
            c.firstReplyAt !== null && c.firstMessageAt !== null
              ? (c.firstReplyAt - c.firstMessageAt) / 1000
              : null,
          messages_from_first_author: c.messagesFromFirstAuthor,
          messages_from_others: c.messagesFromOthers,
          change_seq: c.lastSeq,
        })),
      });
    },
  );

  app.get(
    `${INSIGHTS}/Settings`,
    { schema: { tags, summary: "The account's reporting settings" } },
    (request) => insights.settings.get(request.principal.accountSid),
  );

  app.post(
    `${INSIGHTS}/Settings`,
    {
      config: { access: "admin" },
      schema: {
        tags,
        summary: "Set custom measures and attributes, thresholds and retention",
        body: insightSettings,
      },
    },
    async (request) => {
      const duplicate = duplicateName(request.body);
      if (duplicate)
        throw invalidParameter(`Invalid parameter settings: the name ${duplicate} is used twice`);
      const clash = request.body.measures.find(
        (m) => m.name in SEGMENT_MEASURES || m.name in WORKER_MEASURES,
      );
      if (clash) throw invalidParameter(`Invalid parameter measures: ${clash.name} is a built-in measure`);
      const dimensionClash = request.body.attributes.find((a) =>
        (DIMENSIONS as readonly string[]).includes(a.name),
      );
      if (dimensionClash)
        throw invalidParameter(
          `Invalid parameter attributes: ${dimensionClash.name} is a built-in dimension`,
        );
      try {
        await insights.definitions.catalogWithMeasures(
          request.principal.accountSid,
          request.body.measures.map((m) => m.name),
        );
      } catch (error) {
        if (error instanceof MetricError)
          throw conflict(`A measure is still used: ${error.message}; change or remove that metric first`);
        throw error;
      }
      return insights.settings.put(request.principal.accountSid, request.body);
    },
  );

  app.get(
    `${INSIGHTS}/Metrics`,
    { schema: { tags, summary: "Metrics and the measures formulas can use" } },
    async (request) => {
      const accountSid = request.principal.accountSid;
      const [catalog, stored, settings] = await Promise.all([
        insights.definitions.catalog(accountSid),
        insights.definitions.list(accountSid),
        insights.settings.get(accountSid),
      ]);
      return {
        metrics: catalog.list().map((m) => ({
          name: m.name,
          formula: m.formula,
          format: m.format,
          description: m.description,
          standard: STANDARD_METRICS.some((s) => s.name === m.name),
          customized: stored.some((s) => s.name === m.name),
        })),
        measures: [
          ...Object.entries(SEGMENT_MEASURES).map(([name, description]) => ({
            name,
            description,
            source: "segments",
          })),
          ...Object.entries(WORKER_MEASURES).map(([name, description]) => ({
            name,
            description,
            source: "workers",
          })),
          ...settings.measures.flatMap((m) => [
            { name: m.name, description: `sum of the task attribute ${m.path}`, source: "segments" },
            {
              name: `${m.name}_count`,
              description: `segments with a value of ${m.path}`,
              source: "segments",
            },
          ]),
        ],
      };
    },
  );

  const nameParams = z.object({
    Name: z.string().regex(METRIC_NAME, "expected a lower-case name: letters, digits, _"),
  });
  app.post(
    `${INSIGHTS}/Metrics/:Name`,
    {
      config: { access: "admin" },
      schema: {
        tags,
        summary: "Define a metric, or redefine a standard one, for every report",
        params: nameParams,
        body: metricBody,
      },
    },
    async (request) => {
      const accountSid = request.principal.accountSid;
      const definition = {
        name: request.params.Name,
        formula: request.body.Formula,
        format: request.body.Format,
        description: request.body.Description,
      };
      await explained(() => insights.definitions.catalog(accountSid, definition));
      await insights.definitions.put(accountSid, definition);
      return {
        ...definition,
        standard: STANDARD_METRICS.some((s) => s.name === definition.name),
        customized: true,
      };
    },
  );

  app.delete(
    `${INSIGHTS}/Metrics/:Name`,
    {
      config: { access: "admin" },
      schema: { tags, summary: "Remove a metric, or restore a standard one", params: nameParams },
    },
    async (request, reply) => {
      const accountSid = request.principal.accountSid;
      const stored = await insights.definitions.list(accountSid);
      if (!stored.some((m) => m.name === request.params.Name))
        throw notFound(`The account has no definition of metric ${request.params.Name}`);
      try {
        await insights.definitions.catalog(accountSid, { remove: request.params.Name });
      } catch (error) {
        if (error instanceof MetricError)
          throw conflict(`Metric ${request.params.Name} is still used: ${error.message}`);
        throw error;
      }
      if (!STANDARD_METRICS.some((m) => m.name === request.params.Name)) {
        const users = await insights.metricUsers(accountSid, request.params.Name);
        if (users.length > 0)
          throw conflict(`Metric ${request.params.Name} is still used by ${users.join(", ")}`);
      }
      await insights.definitions.remove(accountSid, request.params.Name);
      return reply.status(204).send();
    },
  );

  alertRoutes(app, insights, workspace);
  scheduleRoutes(app, insights, workspace);
}

/** What the alert and schedule stores share: rows of one workspace, by SID. */
interface WorkspaceRowStore<Row extends { sid: string; workspace_sid: string; date_created: string }, Input> {
  create(accountSid: string, input: Input): Promise<Row>;
  get(accountSid: string, sid: string): Promise<Row | undefined>;
  list(accountSid: string, workspaceSid: string, request: PageRequest): Promise<Row[]>;
  update(accountSid: string, sid: string, input: Input): Promise<Row | undefined>;
  remove(accountSid: string, sid: string): Promise<boolean>;
}

/**
 * List, create, fetch, change and delete routes for a workspace's rows (alert rules, report
 * schedules): `input` checks a body and turns it into the store's input, `json` shows a row.
 * Returns the lookup that 404s for another workspace's SID, for routes of its own.
 */
function collectionRoutes<
  Row extends { sid: string; workspace_sid: string; date_created: string },
  Input,
  Body extends z.ZodType,
>(
  app: HttpServer,
  options: {
    path: string;
    key: string;
    noun: string;
    store: WorkspaceRowStore<Row, Input>;
    body: Body;
    input: (request: FastifyRequest, body: z.infer<Body>) => Promise<Input>;
    json: (request: FastifyRequest, row: Row) => object;
    workspace: (request: FastifyRequest) => string;
  },
): (request: FastifyRequest) => Promise<Row> {
  const { path, key, noun, store, body, input, json, workspace } = options;
  const sidParams = workspaceParams.extend({ Sid: z.string() });
  const found = async (request: FastifyRequest) => {
    const row = await store.get(request.principal.accountSid, (request.params as { Sid: string }).Sid);
    if (!row || row.workspace_sid !== workspace(request))
      throw notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
    return row;
  };
  app.get(
    path,
    { schema: { tags, summary: `List ${noun}s`, params: workspaceParams, querystring: pagingQuery } },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await store.list(request.principal.accountSid, workspace(request), page);
      const result = pageOf(rows, page, (r) => [r.date_created, r.sid]);
      return v1List(request, key, page, { ...result, items: result.items.map((r) => json(request, r)) });
    },
  );
  app.post(
    path,
    { schema: { tags, summary: `Create a ${noun}`, params: workspaceParams, body } },
    async (request, reply) => {
      const row = await store.create(
        request.principal.accountSid,
        await input(request, request.body as z.infer<Body>),
      );
      return reply.status(201).send(json(request, row));
    },
  );
  app.get(
    `${path}/:Sid`,
    { schema: { tags, summary: `Fetch a ${noun}`, params: sidParams } },
    async (request) => json(request, await found(request)),
  );
  app.post(
    `${path}/:Sid`,
    { schema: { tags, summary: `Change a ${noun}`, params: sidParams, body } },
    async (request) => {
      await found(request);
      const row = await store.update(
        request.principal.accountSid,
        request.params.Sid,
        await input(request, request.body as z.infer<Body>),
      );
      return json(request, row!);
    },
  );
  app.delete(
    `${path}/:Sid`,
    { schema: { tags, summary: `Delete a ${noun}`, params: sidParams } },
    async (request, reply) => {
      await found(request);
      await store.remove(request.principal.accountSid, request.params.Sid);
      return reply.status(204).send();
    },
  );
  return found;
}

function alertRoutes(
  app: HttpServer,
  insights: Insights,
  workspace: (request: FastifyRequest) => string,
): void {
  collectionRoutes(app, {
    path: `${WORKSPACE_INSIGHTS}/Alerts`,
    key: "alerts",
    noun: "alert rule",
    store: insights.alerts,
    body: alertBody,
    workspace,
    input: async (request, body): Promise<AlertInput> => {
      const catalog = await insights.definitions.catalog(request.principal.accountSid);
      if (!catalog.get(body.Metric))
        throw invalidParameter(`Invalid parameter Metric: no metric named ${body.Metric}`);
      if (body.EmailTo.length > 0) requireMail(insights);
      if (body.EmailTo.length === 0 && !body.WebhookUrl)
        throw invalidParameter("Invalid parameter EmailTo: an alert needs EmailTo, WebhookUrl or both");
      return {
        workspaceSid: workspace(request),
        friendlyName: body.FriendlyName,
        metric: body.Metric,
        comparison: body.Comparison,
        threshold: body.Threshold,
        windowMinutes: body.WindowMinutes,
        queueSid: body.TaskQueueSid ?? null,
        emailTo: body.EmailTo,
        webhookUrl: body.WebhookUrl ?? null,
        enabled: body.Enabled === "true",
      };
    },
    json: (request, row: AlertRow) => ({
      sid: row.sid,
      account_sid: row.account_sid,
      workspace_sid: row.workspace_sid,
      friendly_name: row.friendly_name,
      metric: row.metric,
      comparison: row.comparison,
      threshold: Number(row.threshold),
      window_minutes: Number(row.window_minutes),
      task_queue_sid: row.queue_sid,
      email_to: JSON.parse(row.email_to) as string[],
      webhook_url: row.webhook_url,
      enabled: Number(row.enabled) === 1,
      state: row.state,
      last_value: row.last_value === null ? null : Number(row.last_value),
      date_evaluated: row.date_evaluated,
      date_fired: row.date_fired,
      date_created: row.date_created,
      date_updated: row.date_updated,
      url: `${origin(request)}${API_PREFIX}/Workspaces/${row.workspace_sid}/Insights/Alerts/${row.sid}`,
    }),
  });
}

function scheduleRoutes(
  app: HttpServer,
  insights: Insights,
  workspace: (request: FastifyRequest) => string,
): void {
  const json = (request: FastifyRequest, row: ScheduleRow) => {
    const input = inputOf(row);
    return {
      sid: row.sid,
      account_sid: row.account_sid,
      workspace_sid: row.workspace_sid,
      friendly_name: row.friendly_name,
      metrics: input.report.metrics,
      group_by: input.report.groupBy,
      interval: input.report.interval,
      frequency: input.frequency,
      time_zone: input.timeZone,
      hour: input.hour,
      format: input.format,
      email_to: input.emailTo,
      next_run_at: row.next_run_at,
      date_last_sent: row.date_last_sent,
      last_error: row.last_error,
      date_created: row.date_created,
      date_updated: row.date_updated,
      url: `${origin(request)}${API_PREFIX}/Workspaces/${row.workspace_sid}/Insights/Schedules/${row.sid}`,
    };
  };
  const found = collectionRoutes(app, {
    path: `${WORKSPACE_INSIGHTS}/Schedules`,
    key: "schedules",
    noun: "scheduled report email",
    store: insights.schedules,
    body: scheduleBody,
    workspace,
    json,
    input: async (request, body): Promise<ScheduleInput> => {
      const accountSid = request.principal.accountSid;
      requireMail(insights);
      if (body.EmailTo.length === 0)
        throw invalidParameter("Invalid parameter EmailTo: at least one address");
      const [catalog, settings] = await Promise.all([
        insights.definitions.catalog(accountSid),
        insights.settings.get(accountSid),
      ]);
      const metrics = body.Metrics.length > 0 ? body.Metrics : DEFAULT_METRICS;
      const unknown = metrics.find((m) => !catalog.get(m));
      if (unknown) throw invalidParameter(`Invalid parameter Metrics: no metric named ${unknown}`);
      explained(() => body.GroupBy.forEach((d) => dimension(d, settings)));
      return {
        workspaceSid: workspace(request),
        friendlyName: body.FriendlyName,
        report: { metrics, groupBy: body.GroupBy, interval: body.Interval },
        frequency: body.Frequency,
        timeZone: body.TimeZone,
        hour: body.Hour,
        format: body.Format,
        emailTo: body.EmailTo,
      };
    },
  });
  app.post(
    `${WORKSPACE_INSIGHTS}/Schedules/:Sid/Send`,
    {
      schema: {
        tags,
        summary: "Send the scheduled report now, for its last full period",
        params: workspaceParams.extend({ Sid: z.string() }),
      },
    },
    async (request) => {
      const row = await found(request);
      try {
        await insights.schedules.send(row, (query) => insights.report(query));
      } catch (error) {
        throw new ApiError(
          502,
          20502,
          `The report could not be sent: ${(error as Error).message}`,
          "transient",
        );
      }
      return json(request, row);
    },
  );
}

function requireMail(insights: Insights): void {
  if (!insights.mailer.configured)
    throw invalidParameter(
      "Invalid parameter EmailTo: this server has no mail relay (SWITCHBOARD_MAIL_RELAY_URL)",
    );
}

/** The range asked for, or the last 24 hours. */
function range(
  start: number | undefined,
  end: number | undefined,
  now: number,
): { from: number; to: number } {
  const to = end ?? now;
  const from = start ?? to - 86_400_000;
  if (from >= to) throw invalidParameter("Invalid parameter StartDate: must be before EndDate");
  if (to - from > 2 * 366 * 86_400_000)
    throw invalidParameter("Invalid parameter EndDate: a report spans at most two years");
  return { from, to };
}

function filtersOf(q: z.infer<typeof scopeQuery>, settings: Settings): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  const given: Record<string, string[]> = {
    queue: q.Queue,
    worker: q.Worker,
    team: q.Team,
    channel: q.Channel,
    direction: q.Direction,
    workflow: q.Workflow,
  };
  for (const [name, values] of Object.entries(given)) if (values.length > 0) filters[name] = values;
  for (const item of q.Filter) {
    const colon = item.indexOf(":");
    if (colon < 1) throw invalidParameter(`Invalid parameter Filter: expected NAME:VALUE, got ${item}`);
    const name = item.slice(0, colon);
    dimension(name, settings);
    (filters[name] ??= []).push(item.slice(colon + 1));
  }
  return filters;
}

/** Runs `work`, turning a report's or a formula's complaint into a 400 naming it. */
function explained<T>(work: () => T): T {
  const asParameter = (error: unknown): never => {
    if (error instanceof ReportError || error instanceof MetricError || error instanceof FormulaError)
      throw invalidParameter(error.message);
    throw error;
  };
  try {
    const result = work();
    return (result instanceof Promise ? result.catch(asParameter) : result) as T;
  } catch (error) {
    return asParameter(error);
  }
}

const dateOrNull = (ms: number | null) => (ms === null ? null : isoAt(ms));

function segmentJson(s: SegmentFact, settings: Settings) {
  return {
    task_sid: s.taskSid,
    segment: s.segment,
    account_sid: s.accountSid,
    workspace_sid: s.workspaceSid,
    workflow_sid: s.workflowSid,
    task_queue_sid: s.queueSid,
    task_queue_name: s.queueName,
    channel: s.channel,
    direction: s.direction,
    conversation_sid: s.conversationSid,
    transferred_from: s.transferredFrom,
    worker_sid: s.workerSid,
    worker_name: s.workerName,
    team: s.team,
    outcome: s.outcome,
    date_task_created: isoAt(s.taskCreatedAt),
    date_entered: isoAt(s.enteredAt),
    date_first_reserved: dateOrNull(s.firstReservedAt),
    date_accepted: dateOrNull(s.acceptedAt),
    date_wrapup: dateOrNull(s.wrapupAt),
    date_ended: dateOrNull(s.endedAt),
    queue_seconds: s.queueMs === null ? null : s.queueMs / 1000,
    ring_seconds: s.ringMs === null ? null : s.ringMs / 1000,
    talk_seconds: s.talkMs === null ? null : s.talkMs / 1000,
    wrap_seconds: s.wrapMs === null ? null : s.wrapMs / 1000,
    reservations: s.reservations,
    rejected: s.rejected,
    missed: s.missed,
    measures: Object.fromEntries(settings.measures.map((m, i) => [m.name, s.measures[i] ?? null])),
    attributes: Object.fromEntries(settings.attributes.map((a, i) => [a.name, s.attributes[i] ?? null])),
    change_seq: s.lastSeq,
  };
}

function reportJson(request: FastifyRequest, report: Report) {
  const { WorkspaceSid } = request.params as { WorkspaceSid: string };
  return {
    account_sid: request.principal.accountSid,
    workspace_sid: WorkspaceSid,
    start_date: isoAt(report.from),
    end_date: isoAt(report.to),
    interval: report.interval,
    time_zone: report.timeZone,
    group_by: report.groupBy,
    metrics: report.metrics,
    rows: report.rows.map((row) => ({
      interval_start: row.intervalStart === null ? null : isoAt(row.intervalStart),
      group: row.group,
      values: row.values,
      measures: row.measures,
    })),
    totals: report.totals,
    url: `${origin(request)}${request.url}`,
  };
}
