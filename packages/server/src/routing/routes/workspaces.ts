import { z } from "zod";
import { optionalHttpUrl, formBoolean } from "../../platform/http/parameters.ts";
import { invalidParameter, notFound } from "../../platform/errors.ts";
import { origin, pagingQuery } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import { iso8601 } from "../../platform/time.ts";
import type { RoutingService, Workspace } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";
import {
  channelSid,
  itemParams,
  missing,
  missingParameter,
  listed,
  routed,
  V1,
  v1Date,
  workspaceOf,
  workspaceParams,
} from "./common.ts";

const taskOrder = z.enum(["FIFO", "LIFO"]);
const workspaceBody = z.object({
  FriendlyName: z.string().min(1).max(64).optional(),
  EventCallbackUrl: optionalHttpUrl.optional(),
  EventsFilter: z.string().max(4096).optional(),
  MultiTaskEnabled: formBoolean.optional(),
  PrioritizeQueueOrder: taskOrder.optional(),
  Template: z.enum(["FIFO", "NONE"]).optional(),
  DefaultActivitySid: z.string().optional(),
  TimeoutActivitySid: z.string().optional(),
});

/** Workspaces, Activities and TaskChannels (TaskRouter v1). */
export function workspaceRoutes(app: HttpServer, service: RoutingService): void {
  app.post(
    V1,
    { schema: { tags: ["TaskRouter"], summary: "Create a workspace", body: workspaceBody } },
    async (request, reply) => {
      const body = request.body;
      if (!body.FriendlyName) throw missingParameter("FriendlyName");
      const { workspace, router } = await service.create(request.principal.accountSid, {
        friendlyName: body.FriendlyName,
        eventCallbackUrl: body.EventCallbackUrl,
        eventsFilter: body.EventsFilter,
        multiTaskEnabled: body.MultiTaskEnabled,
        prioritizeQueueOrder: body.PrioritizeQueueOrder,
        template: body.Template === "FIFO" ? "FIFO" : undefined,
      });
      return reply.code(201).send(workspaceJson(origin(request), workspace, router));
    },
  );

  app.get(
    V1,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List workspaces",
        querystring: pagingQuery.extend({ FriendlyName: z.string().optional() }),
      },
    },
    (request) => {
      const name = request.query.FriendlyName;
      const all = service
        .list(request.principal.accountSid)
        .filter(({ workspace }) => name === undefined || workspace.friendlyName === name);
      const base = origin(request);
      return listed(request, "workspaces", all, (e) => workspaceJson(base, e.workspace, e.router));
    },
  );

  app.get(
    `${V1}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a workspace", params: z.object({ Sid: z.string() }) } },
    (request) => {
      const entry = service.get(request.principal.accountSid, request.params.Sid);
      if (!entry) throw notFound(`The requested resource ${V1}/${request.params.Sid} was not found`);
      return workspaceJson(origin(request), entry.workspace, entry.router);
    },
  );

  app.post(
    `${V1}/:Sid`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Update a workspace",
        params: z.object({ Sid: z.string() }),
        body: workspaceBody,
      },
    },
    async (request) => {
      const body = request.body;
      const entry = service.get(request.principal.accountSid, request.params.Sid);
      if (!entry) throw notFound(`The requested resource ${V1}/${request.params.Sid} was not found`);
      for (const [name, sid] of [
        ["DefaultActivitySid", body.DefaultActivitySid],
        ["TimeoutActivitySid", body.TimeoutActivitySid],
      ] as const) {
        if (sid !== undefined && !entry.router.catalog.activities.has(sid))
          throw missing(`Activity (${name})`, sid);
      }
      const { workspace } = (await routed(
        service.update(request.principal.accountSid, request.params.Sid, {
          friendlyName: body.FriendlyName,
          eventCallbackUrl: body.EventCallbackUrl,
          eventsFilter: body.EventsFilter,
          multiTaskEnabled: body.MultiTaskEnabled,
          prioritizeQueueOrder: body.PrioritizeQueueOrder,
          defaultActivitySid: body.DefaultActivitySid,
          timeoutActivitySid: body.TimeoutActivitySid,
        }),
      ))!;
      return workspaceJson(origin(request), workspace, entry.router);
    },
  );

  app.delete(
    `${V1}/:Sid`,
    {
      schema: { tags: ["TaskRouter"], summary: "Delete a workspace", params: z.object({ Sid: z.string() }) },
    },
    async (request, reply) => {
      if (!(await service.remove(request.principal.accountSid, request.params.Sid)))
        throw notFound(`The requested resource ${V1}/${request.params.Sid} was not found`);
      return reply.code(204).send();
    },
  );

  activityRoutes(app, service);
  channelRoutes(app, service);
}

function activityRoutes(app: HttpServer, service: RoutingService): void {
  const path = `${V1}/:WorkspaceSid/Activities`;
  const body = z.object({
    FriendlyName: z.string().min(1).max(64).optional(),
    Available: formBoolean.optional(),
  });

  app.post(
    path,
    { schema: { tags: ["TaskRouter"], summary: "Create an activity", params: workspaceParams, body } },
    async (request, reply) => {
      const { router, base } = workspaceOf(service, request);
      if (!request.body.FriendlyName) throw missingParameter("FriendlyName");
      const activity = {
        sid: router.nextSid("WA"),
        friendlyName: request.body.FriendlyName,
        available: request.body.Available ?? true,
      };
      await routed(router.run({ op: "putActivity", activity }));
      return reply.code(201).send(activityJson(base, router, activity.sid));
    },
  );

  app.get(
    path,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List activities",
        params: workspaceParams,
        querystring: pagingQuery.extend({
          FriendlyName: z.string().optional(),
          Available: formBoolean.optional(),
        }),
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const { FriendlyName, Available } = request.query;
      const sids = [...router.catalog.activities.values()]
        .filter(
          ({ record }) =>
            (FriendlyName === undefined || record.friendlyName === FriendlyName) &&
            (Available === undefined || record.available === Available),
        )
        .map(({ record }) => record.sid);
      return listed(request, "activities", sids, (sid) => activityJson(base, router, sid));
    },
  );

  app.get(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch an activity", params: itemParams } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return activityJson(base, router, request.params.Sid);
    },
  );

  app.post(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Rename an activity", params: itemParams, body } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const existing = router.catalog.activities.get(request.params.Sid);
      if (!existing) throw missing("Activity", request.params.Sid);
      const activity = {
        ...existing.record,
        friendlyName: request.body.FriendlyName ?? existing.record.friendlyName,
        available: request.body.Available ?? existing.record.available,
      };
      await routed(router.run({ op: "putActivity", activity }));
      return activityJson(base, router, activity.sid);
    },
  );

  app.delete(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete an activity", params: itemParams } },
    async (request, reply) => {
      const { router, workspace } = workspaceOf(service, request);
      if (!router.catalog.activities.has(request.params.Sid)) throw missing("Activity", request.params.Sid);
      if (workspace.defaultActivitySid === request.params.Sid)
        throw invalidParameter("The workspace's default activity cannot be deleted");
      await routed(router.run({ op: "removeActivity", sid: request.params.Sid }));
      return reply.code(204).send();
    },
  );
}

function channelRoutes(app: HttpServer, service: RoutingService): void {
  const path = `${V1}/:WorkspaceSid/TaskChannels`;
  const body = z.object({
    FriendlyName: z.string().min(1).max(64).optional(),
    UniqueName: z.string().min(1).max(64).optional(),
    ChannelOptimizedRouting: formBoolean.optional(),
  });

  app.post(
    path,
    { schema: { tags: ["TaskRouter"], summary: "Create a task channel", params: workspaceParams, body } },
    async (request, reply) => {
      const { router, base } = workspaceOf(service, request);
      if (!request.body.FriendlyName) throw missingParameter("FriendlyName");
      if (!request.body.UniqueName) throw missingParameter("UniqueName");
      const channel = {
        sid: router.nextSid("TC"),
        friendlyName: request.body.FriendlyName,
        uniqueName: request.body.UniqueName,
        channelOptimizedRouting: request.body.ChannelOptimizedRouting ?? false,
      };
      await routed(router.run({ op: "putChannel", channel }));
      return reply.code(201).send(channelJson(base, router, channel.sid));
    },
  );

  app.get(
    path,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List task channels",
        params: workspaceParams,
        querystring: pagingQuery,
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return listed(request, "channels", [...router.catalog.channels.keys()], (sid) =>
        channelJson(base, router, sid),
      );
    },
  );

  app.get(
    `${path}/:Sid`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Fetch a task channel (by SID or unique name)",
        params: itemParams,
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return channelJson(base, router, channelSid(router, request.params.Sid));
    },
  );

  app.post(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Update a task channel", params: itemParams, body } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const existing = router.catalog.channels.get(channelSid(router, request.params.Sid))!;
      const channel = {
        ...existing.record,
        friendlyName: request.body.FriendlyName ?? existing.record.friendlyName,
        channelOptimizedRouting:
          request.body.ChannelOptimizedRouting ?? existing.record.channelOptimizedRouting,
      };
      await routed(router.run({ op: "putChannel", channel }));
      return channelJson(base, router, channel.sid);
    },
  );

  app.delete(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete a task channel", params: itemParams } },
    async (request, reply) => {
      const { router } = workspaceOf(service, request);
      await routed(router.run({ op: "removeChannel", sid: channelSid(router, request.params.Sid) }));
      return reply.code(204).send();
    },
  );
}

function workspaceJson(base: string, workspace: Workspace, router: WorkspaceRouter) {
  const activityName = (sid: string | undefined) =>
    sid === undefined ? null : (router.catalog.activities.get(sid)?.record.friendlyName ?? null);
  const url = `${base}${V1}/${workspace.sid}`;
  const settings = router.catalog.settings;
  return {
    account_sid: workspace.accountSid,
    date_created: iso8601(workspace.dateCreated),
    date_updated: iso8601(workspace.dateUpdated),
    default_activity_name: activityName(workspace.defaultActivitySid),
    default_activity_sid: workspace.defaultActivitySid,
    event_callback_url: workspace.eventCallbackUrl,
    events_filter: workspace.eventsFilter,
    friendly_name: workspace.friendlyName,
    multi_task_enabled: workspace.multiTaskEnabled,
    sid: workspace.sid,
    timeout_activity_name: activityName(settings.timeoutActivitySid),
    timeout_activity_sid: settings.timeoutActivitySid ?? null,
    prioritize_queue_order: settings.prioritizeQueueOrder,
    url,
    links: Object.fromEntries(
      [
        "activities",
        "task_channels",
        "task_queues",
        "tasks",
        "workers",
        "workflows",
        "events",
        "statistics",
        "real_time_statistics",
        "cumulative_statistics",
      ].map((name) => [name, `${url}/${LINK_PATHS[name]}`]),
    ),
  };
}

const LINK_PATHS: Record<string, string> = {
  activities: "Activities",
  task_channels: "TaskChannels",
  task_queues: "TaskQueues",
  tasks: "Tasks",
  workers: "Workers",
  workflows: "Workflows",
  events: "Events",
  statistics: "Statistics",
  real_time_statistics: "RealTimeStatistics",
  cumulative_statistics: "CumulativeStatistics",
};

function activityJson(base: string, router: WorkspaceRouter, sid: string) {
  const entry = router.catalog.activities.get(sid);
  if (!entry) throw missing("Activity", sid);
  const { accountSid, workspaceSid } = router.identity;
  return {
    account_sid: accountSid,
    available: entry.record.available,
    date_created: v1Date(entry.dateCreated),
    date_updated: v1Date(entry.dateUpdated),
    friendly_name: entry.record.friendlyName,
    sid,
    workspace_sid: workspaceSid,
    url: `${base}/Activities/${sid}`,
    links: { workspace: base },
  };
}

function channelJson(base: string, router: WorkspaceRouter, sid: string) {
  const entry = router.catalog.channels.get(sid);
  if (!entry) throw missing("TaskChannel", sid);
  const { accountSid, workspaceSid } = router.identity;
  return {
    account_sid: accountSid,
    date_created: v1Date(entry.dateCreated),
    date_updated: v1Date(entry.dateUpdated),
    friendly_name: entry.record.friendlyName,
    sid,
    unique_name: entry.record.uniqueName,
    workspace_sid: workspaceSid,
    channel_optimized_routing: entry.record.channelOptimizedRouting,
    url: `${base}/TaskChannels/${sid}`,
    links: { workspace: base },
  };
}
