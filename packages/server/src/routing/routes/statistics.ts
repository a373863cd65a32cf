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

  // Workspace
  app.get(
    `${workspace}/Statistics`,
    { schema: { tags, summary: "Workspace statistics", params: workspaceParams, querystring: windowQuery } },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      const window = windowOf(router, request.query);
      return {
        ...header,
        cumulative: cumulative(router, { kind: "workspace" }, window),
        realtime: realtime(router, { kind: "workspace" }),
        url: `${base}/Statistics`,
      };
    },
  );
  app.get(
    `${workspace}/CumulativeStatistics`,
    {
      schema: {
        tags,
        summary: "Workspace cumulative statistics",
        params: workspaceParams,
        querystring: windowQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const window = windowOf(router, request.query);
      return {
        ...header,
        ...cumulative(router, { kind: "workspace" }, window),
        url: `${base}/CumulativeStatistics`,
      };
    },
  );
  app.get(
    `${workspace}/RealTimeStatistics`,
    {
      schema: {
        tags,
        summary: "Workspace real-time statistics",
        params: workspaceParams,
        querystring: realtimeQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      return { ...header, ...realtime(router, { kind: "workspace" }), url: `${base}/RealTimeStatistics` };
    },
  );

  // Task queues
  const queueParams = z.object({ WorkspaceSid: z.string(), TaskQueueSid: z.string() });
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
  app.get(
    `${workspace}/TaskQueues/:TaskQueueSid/Statistics`,
    { schema: { tags, summary: "Task queue statistics", params: queueParams, querystring: windowQuery } },
    (request) => {
      const { router, base } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      return queueStatistics(router, base, request.params.TaskQueueSid, windowOf(router, request.query));
    },
  );
  app.get(
    `${workspace}/TaskQueues/:TaskQueueSid/CumulativeStatistics`,
    {
      schema: {
        tags,
        summary: "Task queue cumulative statistics",
        params: queueParams,
        querystring: windowQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const sid = request.params.TaskQueueSid;
      const figures = cumulative(router, queueScope(router, sid), windowOf(router, request.query));
      return {
        ...header,
        task_queue_sid: sid,
        ...figures,
        url: `${base}/TaskQueues/${sid}/CumulativeStatistics`,
      };
    },
  );
  app.get(
    `${workspace}/TaskQueues/:TaskQueueSid/RealTimeStatistics`,
    {
      schema: {
        tags,
        summary: "Task queue real-time statistics",
        params: queueParams,
        querystring: realtimeQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      const sid = request.params.TaskQueueSid;
      const figures = realtime(router, queueScope(router, sid));
      return {
        ...header,
        task_queue_sid: sid,
        ...figures,
        url: `${base}/TaskQueues/${sid}/RealTimeStatistics`,
      };
    },
  );

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
  const workflowParams = z.object({ WorkspaceSid: z.string(), WorkflowSid: z.string() });
  const workflowScope = (router: WorkspaceRouter, sid: string): Scope => {
    if (!router.catalog.workflows.has(sid)) throw missing("Workflow", sid);
    return { kind: "workflow", sid };
  };
  app.get(
    `${workspace}/Workflows/:WorkflowSid/Statistics`,
    { schema: { tags, summary: "Workflow statistics", params: workflowParams, querystring: windowQuery } },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      const sid = request.params.WorkflowSid;
      const scope = workflowScope(router, sid);
      return {
        ...header,
        workflow_sid: sid,
        cumulative: cumulative(router, scope, windowOf(router, request.query)),
        realtime: realtime(router, scope),
        url: `${base}/Workflows/${sid}/Statistics`,
      };
    },
  );
  app.get(
    `${workspace}/Workflows/:WorkflowSid/CumulativeStatistics`,
    {
      schema: {
        tags,
        summary: "Workflow cumulative statistics",
        params: workflowParams,
        querystring: windowQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      const sid = request.params.WorkflowSid;
      const figures = cumulative(router, workflowScope(router, sid), windowOf(router, request.query));
      return {
        ...header,
        workflow_sid: sid,
        ...figures,
        url: `${base}/Workflows/${sid}/CumulativeStatistics`,
      };
    },
  );
  app.get(
    `${workspace}/Workflows/:WorkflowSid/RealTimeStatistics`,
    {
      schema: {
        tags,
        summary: "Workflow real-time statistics",
        params: workflowParams,
        querystring: realtimeQuery,
      },
    },
    (request) => {
      const { router, base, header } = common(request);
      refuseChannelFilter(request.query.TaskChannel);
      const sid = request.params.WorkflowSid;
      const figures = realtime(router, workflowScope(router, sid));
      return { ...header, workflow_sid: sid, ...figures, url: `${base}/Workflows/${sid}/RealTimeStatistics` };
    },
  );
}
