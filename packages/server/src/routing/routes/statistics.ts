import type { Scope } from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { invalidParameter } from "../../platform/errors.ts";
import { pagingQuery } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";
import {
  listed,
  missing,
  V1,
  dateParameter,
  DEFAULT_WINDOW_MINUTES,
  v1Date,
  workspaceOf,
  workspaceParams,
} from "./common.ts";
import { workerOf } from "./workers.ts";

/** The window and filters every cumulative statistics endpoint takes. */
const windowQuery = z.object({
  Minutes: z.coerce.number().int().min(1).optional(),
  StartDate: z.string().optional(),
  EndDate: z.string().optional(),
  TaskChannel: z.string().optional(),
  SplitByWaitTime: z.string().optional(),
});
type WindowQuery = z.infer<typeof windowQuery>;

const realtimeQuery = z.object({ TaskChannel: z.string().optional() });

interface Window {
  from: number;
  to: number;
  channel: string | undefined;
  splitByWaitTime: number[];
}

/** Twilio's window: EndDate (default now), then StartDate or Minutes back from it (default 15). */
function windowOf(router: WorkspaceRouter, query: WindowQuery): Window {
  const now = router.now();
  const to = query.EndDate !== undefined ? dateParameter("EndDate", query.EndDate) : now;
  const from =
    query.StartDate !== undefined
      ? dateParameter("StartDate", query.StartDate)
      : to - (query.Minutes ?? DEFAULT_WINDOW_MINUTES) * 60_000;
  if (from > to) throw invalidParameter("Invalid parameter StartDate: must not be after EndDate");
  const oldest = now - router.routing.statisticsRetentionMs;
  if (from < oldest)
    throw invalidParameter(
      `Invalid parameter StartDate: statistics reach back ${router.routing.statisticsRetentionMs / 3_600_000} hours`,
    );
  const splitByWaitTime = (query.SplitByWaitTime ?? "")
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const seconds = Number(part);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw invalidParameter(`Invalid parameter SplitByWaitTime: ${part} is not a number of seconds`);
      return seconds;
    });
  return { from, to, channel: query.TaskChannel, splitByWaitTime };
}

/**
 * Real-time figures are counted over all channels; a TaskChannel filter on them is refused rather
 * than ignored, so no one reads all-channel numbers as one channel's.
 */
function refuseChannelFilter(channel: string | undefined): void {
  if (channel !== undefined)
    throw invalidParameter(
      "Invalid parameter TaskChannel: real-time statistics are not split by channel yet",
    );
}

function cumulative(router: WorkspaceRouter, scope: Scope, window: Window) {
  const figures = router.routing.cumulativeStatistics(scope, window.from, window.to, {
    ...(window.channel !== undefined ? { channel: window.channel } : {}),
    splitByWaitTime: window.splitByWaitTime,
  });
  return { ...figures, start_time: v1Date(figures.start_time), end_time: v1Date(figures.end_time) };
}

function workerCumulative(router: WorkspaceRouter, workerSid: string | undefined, window: Window) {
  const figures = router.routing.workerCumulativeStatistics(
    workerSid,
    window.from,
    window.to,
    window.channel,
  );
  return { ...figures, start_time: v1Date(figures.start_time), end_time: v1Date(figures.end_time) };
}

function realtime(router: WorkspaceRouter, scope: Scope) {
  router.now();
  return router.routing.realtimeStatistics(scope);
}

/** The workers' real-time figures: how many there are in each activity. */
function workersRealtime(router: WorkspaceRouter) {
  const { activity_statistics, total_workers } = realtime(router, { kind: "workspace" });
  return { activity_statistics, total_workers };
}

/** Statistics of the workspace, its queues, workers and workflows (TaskRouter v1). */
export function statisticsRoutes(app: HttpServer, service: RoutingService): void {
  const workspace = `${V1}/:WorkspaceSid`;
  const tags = ["TaskRouter"];
  const common = (request: FastifyRequest) => {
    const { router, base } = workspaceOf(service, request);
    const { accountSid, workspaceSid } = router.identity;
    return { router, base, header: { account_sid: accountSid, workspace_sid: workspaceSid } };
  };

  /**
   * The three endpoints TaskRouter gives the workspace, a queue and a workflow alike: Statistics
   * (both kinds), CumulativeStatistics and RealTimeStatistics.
   */
  const scopeStatistics = (
    what: string,
    /** The collection and its SID path parameter; none for the workspace itself. */
    item: { collection: string; param: string } | undefined,
    /** The scope a SID names, and the field identifying it in answers, or 404. */
    resolve: (router: WorkspaceRouter, sid: string) => { scope: Scope; id: object },
  ) => {
    const path = item ? `/${item.collection}/:${item.param}` : "";
    const params = item ? workspaceParams.extend({ [item.param]: z.string() }) : workspaceParams;
    const read = (request: FastifyRequest) => {
      const { router, base, header } = common(request);
      const sid = item ? (request.params as Record<string, string>)[item.param]! : "";
      const { scope, id } = resolve(router, sid);
      return {
        router,
        scope,
        fields: { ...header, ...id },
        url: item ? `${base}/${item.collection}/${sid}` : base,
      };
    };
    app.get(
      `${workspace}${path}/Statistics`,
      { schema: { tags, summary: `${what} statistics`, params, querystring: windowQuery } },
      (request) => {
        const { router, scope, fields, url } = read(request);
        refuseChannelFilter(request.query.TaskChannel);
        return {
          ...fields,
          cumulative: cumulative(router, scope, windowOf(router, request.query)),
          realtime: realtime(router, scope),
          url: `${url}/Statistics`,
        };
      },
    );
    app.get(
      `${workspace}${path}/CumulativeStatistics`,
      { schema: { tags, summary: `${what} cumulative statistics`, params, querystring: windowQuery } },
      (request) => {
        const { router, scope, fields, url } = read(request);
        const figures = cumulative(router, scope, windowOf(router, request.query));
        return { ...fields, ...figures, url: `${url}/CumulativeStatistics` };
      },
    );
    app.get(
      `${workspace}${path}/RealTimeStatistics`,
      { schema: { tags, summary: `${what} real-time statistics`, params, querystring: realtimeQuery } },
      (request) => {
        const { router, scope, fields, url } = read(request);
        refuseChannelFilter(request.query.TaskChannel);
        return { ...fields, ...realtime(router, scope), url: `${url}/RealTimeStatistics` };
      },
    );
  };

  scopeStatistics("Workspace", undefined, () => ({ scope: { kind: "workspace" }, id: {} }));

  // Task queues
  const queueScope = (router: WorkspaceRouter, sid: string): Scope => {
    if (!router.catalog.queues.has(sid)) throw missing("TaskQueue", sid);
    return { kind: "queue", sid };
  };
  const queueStatistics = (router: WorkspaceRouter, base: string, sid: string, window: Window) => {
    const scope = queueScope(router, sid);
    return {
      account_sid: router.identity.accountSid,
      workspace_sid: router.identity.workspaceSid,
      task_queue_sid: sid,
      cumulative: cumulative(router, scope, window),
      realtime: realtime(router, scope),
      url: `${base}/TaskQueues/${sid}/Statistics`,
    };
  };
  app.get(
    `${workspace}/TaskQueues/Statistics`,
    {
      schema: {
        tags,
        summary: "Statistics of every task queue",
        params: workspaceParams,
        querystring: windowQuery.extend(pagingQuery.shape).extend({ FriendlyName: z.string().optional() }),
      },
    },
    (request) => {
      const { router, base } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      const window = windowOf(router, request.query);
      const { FriendlyName } = request.query;
      const queues = [...router.catalog.queues.values()]
        .filter((e) => FriendlyName === undefined || e.record.friendlyName === FriendlyName)
        .sort((a, b) => a.dateCreated - b.dateCreated || a.record.sid.localeCompare(b.record.sid));
      return listed(request, "task_queues_statistics", queues, (e) =>
        queueStatistics(router, base, e.record.sid, window),
      );
    },
  );
  app.post(
    `${workspace}/TaskQueues/RealTimeStatistics`,
    {
      schema: {
        tags,
        summary: "Real-time statistics of up to 50 task queues",
        params: workspaceParams,
        body: z
          .object({
            QueueSids: z.array(z.string()).max(50).optional(),
            TaskQueueSids: z.array(z.string()).max(50).optional(),
          })
          .optional(),
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const sids = request.body?.QueueSids ?? request.body?.TaskQueueSids;
      if (!sids?.length)
        throw invalidParameter("Missing required parameter QueueSids: a list of up to 50 TaskQueue SIDs");
      const data = sids.map((sid) => ({ task_queue_sid: sid, ...realtime(router, queueScope(router, sid)) }));
      return {
        ...header,
        task_queue_data: data,
        task_queue_response_count: data.length,
        url: `${base}/TaskQueues/RealTimeStatistics`,
      };
    },
  );
  scopeStatistics("Task queue", { collection: "TaskQueues", param: "TaskQueueSid" }, (router, sid) => ({
    scope: queueScope(router, sid),
    id: { task_queue_sid: sid },
  }));

  // Workers
  app.get(
    `${workspace}/Workers/Statistics`,
    {
      schema: {
        tags,
        summary: "Statistics of all workers",
        params: workspaceParams,
        querystring: windowQuery.extend({
          TaskQueueSid: z.string().optional(),
          TaskQueueName: z.string().optional(),
          FriendlyName: z.string().optional(),
        }),
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const { TaskQueueSid, TaskQueueName, FriendlyName } = request.query;
      if (TaskQueueSid !== undefined || TaskQueueName !== undefined || FriendlyName !== undefined)
        throw invalidParameter(
          "Workers statistics are for all workers: filtering by queue or name is not supported yet",
        );
      const window = windowOf(router, request.query);
      return {
        ...header,
        cumulative: workerCumulative(router, undefined, window),
        realtime: workersRealtime(router),
        url: `${base}/Workers/Statistics`,
      };
    },
  );
  app.get(
    `${workspace}/Workers/CumulativeStatistics`,
    {
      schema: {
        tags,
        summary: "Workers' cumulative statistics",
        params: workspaceParams,
        querystring: windowQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const window = windowOf(router, request.query);
      return {
        ...header,
        ...workerCumulative(router, undefined, window),
        url: `${base}/Workers/CumulativeStatistics`,
      };
    },
  );
  app.get(
    `${workspace}/Workers/RealTimeStatistics`,
    {
      schema: {
        tags,
        summary: "Workers' real-time statistics",
        params: workspaceParams,
        querystring: realtimeQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      return { ...header, ...workersRealtime(router), url: `${base}/Workers/RealTimeStatistics` };
    },
  );
  app.get(
    `${workspace}/Workers/:WorkerSid/Statistics`,
    {
      schema: {
        tags,
        summary: "A worker's statistics",
        params: z.object({ WorkspaceSid: z.string(), WorkerSid: z.string() }),
        querystring: windowQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const sid = workerOf(router, request.params.WorkerSid).sid;
      const window = windowOf(router, request.query);
      return {
        ...header,
        worker_sid: sid,
        cumulative: workerCumulative(router, sid, window),
        url: `${base}/Workers/${sid}/Statistics`,
      };
    },
  );

  // Workflows
  scopeStatistics("Workflow", { collection: "Workflows", param: "WorkflowSid" }, (router, sid) => {
    if (!router.catalog.workflows.has(sid)) throw missing("Workflow", sid);
    return { scope: { kind: "workflow", sid }, id: { workflow_sid: sid } };
  });
}
