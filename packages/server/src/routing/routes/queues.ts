import { compileWorkflow, RoutingError } from "@switchboard/engine";
import { z } from "zod";
import { optionalHttpUrl, formBoolean } from "../../platform/http/parameters.ts";
import { invalidParameter } from "../../platform/errors.ts";
import { pagingQuery } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { QueueRecord, WorkflowRecord } from "../commands.ts";
import type { RoutingService } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";
import {
  itemParams,
  jsonObject,
  missing,
  missingParameter,
  listed,
  routed,
  V1,
  v1Date,
  workspaceOf,
  workspaceParams,
} from "./common.ts";

const queueBody = z.object({
  FriendlyName: z.string().min(1).max(64).optional(),
  TargetWorkers: z.string().max(4096).optional(),
  MaxReservedWorkers: z.coerce.number().int().min(1).max(50).optional(),
  TaskOrder: z.enum(["FIFO", "LIFO"]).optional(),
  ReservationActivitySid: z.string().optional(),
  AssignmentActivitySid: z.string().optional(),
});

const workflowBody = z.object({
  FriendlyName: z.string().min(1).max(64).optional(),
  Configuration: z.string().max(65_536).optional(),
  AssignmentCallbackUrl: optionalHttpUrl.optional(),
  FallbackAssignmentCallbackUrl: optionalHttpUrl.optional(),
  TaskReservationTimeout: z.coerce.number().int().min(1).max(86_400).optional(),
  ReEvaluateTasks: formBoolean.optional(),
});

/** TaskQueues and Workflows (TaskRouter v1). */
export function queueRoutes(app: HttpServer, service: RoutingService): void {
  const queues = `${V1}/:WorkspaceSid/TaskQueues`;

  const putQueue = async (
    router: WorkspaceRouter,
    existing: QueueRecord | undefined,
    body: z.infer<typeof queueBody>,
  ) => {
    const queue: QueueRecord = {
      sid: existing?.sid ?? router.nextSid("WQ"),
      friendlyName: body.FriendlyName ?? existing?.friendlyName ?? "",
      targetWorkers: body.TargetWorkers ?? existing?.targetWorkers ?? "1==1",
      maxReservedWorkers: body.MaxReservedWorkers ?? existing?.maxReservedWorkers ?? 1,
      taskOrder: body.TaskOrder ?? existing?.taskOrder ?? "FIFO",
      reservationActivitySid: body.ReservationActivitySid ?? existing?.reservationActivitySid ?? null,
      assignmentActivitySid: body.AssignmentActivitySid ?? existing?.assignmentActivitySid ?? null,
    };
    for (const [name, sid] of [
      ["ReservationActivitySid", queue.reservationActivitySid],
      ["AssignmentActivitySid", queue.assignmentActivitySid],
    ] as const) {
      if (sid !== null && !router.catalog.activities.has(sid)) throw missing(`Activity (${name})`, sid);
    }
    await routed(router.run({ op: "putQueue", queue }));
    return queue.sid;
  };

  app.post(
    queues,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Create a task queue",
        params: workspaceParams,
        body: queueBody,
      },
    },
    async (request, reply) => {
      const { router, base } = workspaceOf(service, request);
      if (!request.body.FriendlyName) throw missingParameter("FriendlyName");
      const sid = await putQueue(router, undefined, request.body);
      return reply.code(201).send(queueJson(base, router, sid));
    },
  );

  app.get(
    queues,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List task queues",
        params: workspaceParams,
        querystring: pagingQuery.extend({
          FriendlyName: z.string().optional(),
          EvaluateWorkerAttributes: jsonObject.optional(),
          WorkerSid: z.string().optional(),
        }),
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const q = request.query;
      const allowed = q.EvaluateWorkerAttributes
        ? new Set(router.routing.queuesForAttributes(q.EvaluateWorkerAttributes))
        : undefined;
      const sids = [...router.catalog.queues.values()]
        .filter(
          ({ record }) =>
            (q.FriendlyName === undefined || record.friendlyName === q.FriendlyName) &&
            (allowed === undefined || allowed.has(record.sid)) &&
            (q.WorkerSid === undefined || router.routing.queueMembers(record.sid).includes(q.WorkerSid)),
        )
        .map(({ record }) => record.sid);
      return listed(request, "task_queues", sids, (sid) => queueJson(base, router, sid));
    },
  );

  app.get(
    `${queues}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a task queue", params: itemParams } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return queueJson(base, router, request.params.Sid);
    },
  );

  app.post(
    `${queues}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Update a task queue", params: itemParams, body: queueBody } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const existing = router.catalog.queues.get(request.params.Sid);
      if (!existing) throw missing("TaskQueue", request.params.Sid);
      await putQueue(router, existing.record, request.body);
      return queueJson(base, router, request.params.Sid);
    },
  );

  app.delete(
    `${queues}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete a task queue", params: itemParams } },
    async (request, reply) => {
      const { router } = workspaceOf(service, request);
      if (!router.catalog.queues.has(request.params.Sid)) throw missing("TaskQueue", request.params.Sid);
      await routed(router.run({ op: "removeQueue", sid: request.params.Sid }));
      return reply.code(204).send();
    },
  );

  const workflows = `${V1}/:WorkspaceSid/Workflows`;

  const putWorkflow = async (
    router: WorkspaceRouter,
    existing: WorkflowRecord | undefined,
    body: z.infer<typeof workflowBody>,
  ) => {
    const workflow: WorkflowRecord = {
      sid: existing?.sid ?? router.nextSid("WW"),
      friendlyName: body.FriendlyName ?? existing?.friendlyName ?? "",
      configuration: body.Configuration ?? existing?.configuration ?? "",
      taskReservationTimeout: body.TaskReservationTimeout ?? existing?.taskReservationTimeout ?? 120,
      // An empty value clears a callback URL.
      assignmentCallbackUrl: (body.AssignmentCallbackUrl ?? existing?.assignmentCallbackUrl ?? null) || null,
      fallbackAssignmentCallbackUrl:
        (body.FallbackAssignmentCallbackUrl ?? existing?.fallbackAssignmentCallbackUrl ?? null) || null,
    };
    validateConfiguration(router, workflow.configuration);
    await routed(router.run({ op: "putWorkflow", workflow, reEvaluateTasks: body.ReEvaluateTasks ?? false }));
    return workflow.sid;
  };

  app.post(
    workflows,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Create a workflow",
        params: workspaceParams,
        body: workflowBody,
      },
    },
    async (request, reply) => {
      const { router, base } = workspaceOf(service, request);
      if (!request.body.FriendlyName) throw missingParameter("FriendlyName");
      if (!request.body.Configuration) throw missingParameter("Configuration");
      const sid = await putWorkflow(router, undefined, request.body);
      return reply.code(201).send(workflowJson(base, router, sid));
    },
  );

  app.get(
    workflows,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List workflows",
        params: workspaceParams,
        querystring: pagingQuery.extend({ FriendlyName: z.string().optional() }),
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const name = request.query.FriendlyName;
      const sids = [...router.catalog.workflows.values()]
        .filter(({ record }) => name === undefined || record.friendlyName === name)
        .map(({ record }) => record.sid);
      return listed(request, "workflows", sids, (sid) => workflowJson(base, router, sid));
    },
  );

  app.get(
    `${workflows}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a workflow", params: itemParams } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return workflowJson(base, router, request.params.Sid);
    },
  );

  app.post(
    `${workflows}/:Sid`,
    {
      schema: { tags: ["TaskRouter"], summary: "Update a workflow", params: itemParams, body: workflowBody },
    },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const existing = router.catalog.workflows.get(request.params.Sid);
      if (!existing) throw missing("Workflow", request.params.Sid);
      await putWorkflow(router, existing.record, request.body);
      return workflowJson(base, router, request.params.Sid);
    },
  );

  app.delete(
    `${workflows}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete a workflow", params: itemParams } },
    async (request, reply) => {
      const { router } = workspaceOf(service, request);
      if (!router.catalog.workflows.has(request.params.Sid)) throw missing("Workflow", request.params.Sid);
      await routed(router.run({ op: "removeWorkflow", sid: request.params.Sid }));
      return reply.code(204).send();
    },
  );
}

/** Compiles the configuration up front so its errors name the bad filter or target. */
function validateConfiguration(router: WorkspaceRouter, configuration: string): void {
  try {
    compileWorkflow(configuration, (sid) => router.catalog.queues.has(sid));
  } catch (error) {
    if (error instanceof RoutingError)
      throw invalidParameter(`Invalid parameter Configuration: ${error.message}`);
    throw error;
  }
}

function queueJson(base: string, router: WorkspaceRouter, sid: string) {
  const entry = router.catalog.queues.get(sid);
  if (!entry) throw missing("TaskQueue", sid);
  const { record } = entry;
  const { accountSid, workspaceSid } = router.identity;
  const activityName = (activitySid: string | null) =>
    activitySid === null ? null : (router.catalog.activities.get(activitySid)?.record.friendlyName ?? null);
  const url = `${base}/TaskQueues/${sid}`;
  return {
    account_sid: accountSid,
    assignment_activity_sid: record.assignmentActivitySid,
    assignment_activity_name: activityName(record.assignmentActivitySid),
    date_created: v1Date(entry.dateCreated),
    date_updated: v1Date(entry.dateUpdated),
    friendly_name: record.friendlyName,
    max_reserved_workers: record.maxReservedWorkers,
    reservation_activity_sid: record.reservationActivitySid,
    reservation_activity_name: activityName(record.reservationActivitySid),
    sid,
    target_workers: record.targetWorkers,
    task_order: record.taskOrder,
    url,
    workspace_sid: workspaceSid,
    links: {
      assignment_activity:
        record.assignmentActivitySid && `${base}/Activities/${record.assignmentActivitySid}`,
      reservation_activity:
        record.reservationActivitySid && `${base}/Activities/${record.reservationActivitySid}`,
      workspace: base,
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
      list_statistics: `${base}/TaskQueues/Statistics`,
    },
  };
}

function workflowJson(base: string, router: WorkspaceRouter, sid: string) {
  const entry = router.catalog.workflows.get(sid);
  if (!entry) throw missing("Workflow", sid);
  const { record } = entry;
  const { accountSid, workspaceSid } = router.identity;
  const url = `${base}/Workflows/${sid}`;
  return {
    account_sid: accountSid,
    assignment_callback_url: record.assignmentCallbackUrl,
    configuration: record.configuration,
    date_created: v1Date(entry.dateCreated),
    date_updated: v1Date(entry.dateUpdated),
    document_content_type: "application/json",
    fallback_assignment_callback_url: record.fallbackAssignmentCallbackUrl,
    friendly_name: record.friendlyName,
    sid,
    task_reservation_timeout: record.taskReservationTimeout,
    workspace_sid: workspaceSid,
    url,
    links: {
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
    },
  };
}
