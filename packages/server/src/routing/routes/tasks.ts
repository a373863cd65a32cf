import type { ReservationView, TaskView } from "@switchboard/engine";
import { z } from "zod";
import { invalidParameter } from "../../platform/errors.ts";
import { pagingQuery } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RoutingCommand } from "../commands.ts";
import type { RoutingService } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";
import {
  compiledParameter,
  dateParameter,
  itemParams,
  jsonObject,
  missing,
  listed,
  routed,
  V1,
  v1Date,
  workspaceOf,
  workspaceParams,
} from "./common.ts";

const status = z.enum(["pending", "reserved", "assigned", "canceled", "wrapping", "completed"]);

const createBody = z.object({
  Timeout: z.coerce.number().int().min(1).max(31_536_000).optional(),
  Priority: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  TaskChannel: z.string().optional(),
  WorkflowSid: z.string().optional(),
  Attributes: jsonObject.optional(),
  VirtualStartTime: z.string().optional(),
});

const updateBody = z.object({
  Attributes: jsonObject.optional(),
  AssignmentStatus: status.optional(),
  Reason: z.string().max(1024).optional(),
  Priority: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});

const listQuery = pagingQuery.extend({
  Priority: z.coerce.number().int().optional(),
  AssignmentStatus: z.union([z.string(), z.array(z.string())]).optional(),
  WorkflowSid: z.string().optional(),
  WorkflowName: z.string().optional(),
  TaskQueueSid: z.string().optional(),
  TaskQueueName: z.string().optional(),
  EvaluateTaskAttributes: z.string().optional(),
  Ordering: z.string().optional(),
});

/** Tasks and their reservations (TaskRouter v1). */
export function taskRoutes(app: HttpServer, service: RoutingService): void {
  const path = `${V1}/:WorkspaceSid/Tasks`;

  app.post(
    path,
    { schema: { tags: ["TaskRouter"], summary: "Create a task", params: workspaceParams, body: createBody } },
    async (request, reply) => {
      const { router, base } = workspaceOf(service, request);
      const body = request.body;
      if (!body.WorkflowSid)
        throw invalidParameter("Missing required parameter WorkflowSid in the post body");
      const sid = await routed(
        router.run<string>({
          op: "createTask",
          task: {
            workflowSid: body.WorkflowSid,
            attributes: body.Attributes ?? {},
            ...(body.Priority !== undefined ? { priority: body.Priority } : {}),
            ...(body.Timeout !== undefined ? { timeout: body.Timeout } : {}),
            ...(body.TaskChannel !== undefined ? { channel: body.TaskChannel } : {}),
            ...(body.VirtualStartTime !== undefined
              ? { virtualStartTime: dateParameter("VirtualStartTime", body.VirtualStartTime) }
              : {}),
          },
        }),
      );
      return reply.code(201).send(taskJson(base, router, taskOf(router, sid)));
    },
  );

  app.get(
    path,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List tasks",
        params: workspaceParams,
        querystring: listQuery,
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const q = request.query;
      const statuses =
        q.AssignmentStatus === undefined
          ? undefined
          : new Set(
              (Array.isArray(q.AssignmentStatus) ? q.AssignmentStatus : [q.AssignmentStatus]).flatMap((s) =>
                s.split(","),
              ),
            );
      const queueName = (sid: string | undefined) =>
        sid ? router.catalog.queues.get(sid)?.record.friendlyName : undefined;
      const workflowName = (sid: string | undefined) =>
        sid ? router.catalog.workflows.get(sid)?.record.friendlyName : undefined;
      let matches: ((t: TaskView) => boolean) | undefined;
      if (q.EvaluateTaskAttributes !== undefined) {
        const expression = compiledParameter("EvaluateTaskAttributes", q.EvaluateTaskAttributes, "task");
        const now = Date.now();
        matches = (t) => expression.test({ now, task: t.attributes });
      }
      const tasks = router.routing
        .allTasks()
        .filter(
          (t) =>
            (statuses === undefined || statuses.has(t.status)) &&
            (q.Priority === undefined || t.priority === q.Priority) &&
            (q.WorkflowSid === undefined || t.workflowSid === q.WorkflowSid) &&
            (q.WorkflowName === undefined || workflowName(t.workflowSid) === q.WorkflowName) &&
            (q.TaskQueueSid === undefined || t.queueSid === q.TaskQueueSid) &&
            (q.TaskQueueName === undefined || queueName(t.queueSid) === q.TaskQueueName) &&
            (matches === undefined || matches(t)),
        );
      tasks.sort(ordering(q.Ordering));
      return listed(request, "tasks", tasks, (t) => taskJson(base, router, t));
    },
  );

  app.get(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a task", params: itemParams } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return taskJson(base, router, taskOf(router, request.params.Sid));
    },
  );

  app.post(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Update a task", params: itemParams, body: updateBody } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { Sid } = request.params;
      const task = taskOf(router, Sid);
      const body = request.body;
      const commands: RoutingCommand[] = [];
      if (body.Attributes !== undefined || body.Priority !== undefined)
        commands.push({
          op: "updateTask",
          sid: Sid,
          ...(body.Attributes !== undefined ? { attributes: body.Attributes } : {}),
          ...(body.Priority !== undefined ? { priority: body.Priority } : {}),
        });
      if (body.AssignmentStatus !== undefined && body.AssignmentStatus !== task.status) {
        const reason = body.Reason !== undefined ? { reason: body.Reason } : {};
        switch (body.AssignmentStatus) {
          case "canceled":
            commands.push({ op: "cancelTask", sid: Sid, ...reason });
            break;
          case "wrapping":
            commands.push({ op: "wrapUpTask", sid: Sid, ...reason });
            break;
          case "completed":
            commands.push({ op: "completeTask", sid: Sid, ...reason });
            break;
          default:
            throw invalidParameter(
              `Invalid parameter AssignmentStatus: a task cannot be moved to ${body.AssignmentStatus} by an update`,
            );
        }
      }
      if (commands.length) await routed(router.submit(commands));
      return taskJson(base, router, taskOf(router, Sid));
    },
  );

  app.delete(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete a task", params: itemParams } },
    async (request, reply) => {
      const { router } = workspaceOf(service, request);
      taskOf(router, request.params.Sid);
      await routed(router.run({ op: "deleteTask", sid: request.params.Sid }));
      return reply.code(204).send();
    },
  );

  const taskItem = z.object({ WorkspaceSid: z.string(), TaskSid: z.string() });
  const reservationItem = z.object({ WorkspaceSid: z.string(), TaskSid: z.string(), Sid: z.string() });

  app.get(
    `${path}/:TaskSid/Reservations`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List a task's reservations",
        params: taskItem,
        querystring: pagingQuery.extend({
          ReservationStatus: z.string().optional(),
          WorkerSid: z.string().optional(),
        }),
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      taskOf(router, request.params.TaskSid);
      const { ReservationStatus, WorkerSid } = request.query;
      const all = router.routing
        .reservationsOfTask(request.params.TaskSid)
        .filter(
          (r) =>
            (ReservationStatus === undefined || r.status === ReservationStatus) &&
            (WorkerSid === undefined || r.workerSid === WorkerSid),
        );
      return listed(request, "reservations", all, (r) => reservationJson(base, router, r, "task"));
    },
  );

  app.get(
    `${path}/:TaskSid/Reservations/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a reservation", params: reservationItem } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return reservationJson(
        base,
        router,
        reservationOf(router, request.params.TaskSid, request.params.Sid),
        "task",
      );
    },
  );

  app.post(
    `${path}/:TaskSid/Reservations/:Sid`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Accept, reject, wrap up or complete a reservation",
        params: reservationItem,
        body: reservationUpdateBody,
      },
    },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { TaskSid, Sid } = request.params;
      const reservation = reservationOf(router, TaskSid, Sid);
      await updateReservation(router, reservation, request.body);
      return reservationJson(base, router, reservationOf(router, TaskSid, Sid), "task");
    },
  );
}

export const reservationUpdateBody = z.object({
  ReservationStatus: z.enum(["accepted", "rejected", "wrapping", "completed"]).optional(),
  WorkerActivitySid: z.string().optional(),
});

/** Moves a reservation on (accept, reject, wrap up, complete), optionally moving its worker too, in one step. */
export async function updateReservation(
  router: WorkspaceRouter,
  reservation: ReservationView,
  body: z.infer<typeof reservationUpdateBody>,
): Promise<void> {
  const { ReservationStatus, WorkerActivitySid } = body;
  const sid = reservation.sid;
  const commands: RoutingCommand[] = [];
  switch (ReservationStatus) {
    case "accepted":
      commands.push({ op: "acceptReservation", sid });
      break;
    case "rejected":
      // Rejecting moves the worker itself, so pending reservations are handled in one step.
      commands.push({
        op: "rejectReservation",
        sid,
        ...(WorkerActivitySid !== undefined ? { activitySid: WorkerActivitySid } : {}),
      });
      break;
    case "wrapping":
      commands.push({ op: "wrapUpReservation", sid });
      break;
    case "completed":
      commands.push({ op: "completeReservation", sid });
      break;
  }
  if (WorkerActivitySid !== undefined && ReservationStatus !== "rejected")
    commands.push({
      op: "updateWorker",
      sid: reservation.workerSid,
      changes: { activitySid: WorkerActivitySid },
    });
  if (commands.length) await routed(router.submit(commands));
}

/** TaskRouter's Ordering: `DateCreated` or `Priority`, `:asc` or `:desc`, comma-separated. */
function ordering(spec: string | undefined): (a: TaskView, b: TaskView) => number {
  const keys = (spec ?? "DateCreated:asc").split(",").map((part) => {
    const [field, direction = "asc"] = part.split(":");
    if ((field !== "DateCreated" && field !== "Priority") || (direction !== "asc" && direction !== "desc"))
      throw invalidParameter(
        `Invalid parameter Ordering: ${part} (expected DateCreated or Priority, :asc or :desc)`,
      );
    return { field, sign: direction === "desc" ? -1 : 1 };
  });
  return (a, b) => {
    for (const { field, sign } of keys) {
      const d = field === "Priority" ? a.priority - b.priority : a.dateCreated - b.dateCreated;
      if (d !== 0) return d * sign;
    }
    return a.sid.localeCompare(b.sid);
  };
}

export function taskOf(router: WorkspaceRouter, sid: string): TaskView {
  const task = router.routing.task(sid);
  if (!task) throw missing("Task", sid);
  return task;
}

function reservationOf(router: WorkspaceRouter, taskSid: string, sid: string): ReservationView {
  const reservation = router.routing.reservation(sid);
  if (!reservation || reservation.taskSid !== taskSid) throw missing("Reservation", sid);
  return reservation;
}

function taskJson(base: string, router: WorkspaceRouter, task: TaskView) {
  const { accountSid, workspaceSid } = router.identity;
  const queue = task.queueSid ? router.catalog.queues.get(task.queueSid)?.record : undefined;
  const workflow = task.workflowSid ? router.catalog.workflows.get(task.workflowSid)?.record : undefined;
  const url = `${base}/Tasks/${task.sid}`;
  return {
    account_sid: accountSid,
    age: Math.max(0, Math.floor((Date.now() - task.dateCreated) / 1000)),
    assignment_status: task.status,
    attributes: JSON.stringify(task.attributes),
    addons: "{}",
    date_created: v1Date(task.dateCreated),
    date_updated: v1Date(task.dateUpdated),
    task_queue_entered_date: v1Date(task.queueEnteredAt),
    priority: task.priority,
    reason: task.reason ?? null,
    sid: task.sid,
    task_queue_sid: task.queueSid ?? null,
    task_queue_friendly_name: queue?.friendlyName ?? null,
    task_channel_sid: task.channelSid,
    task_channel_unique_name: task.channelUniqueName,
    timeout: task.timeout,
    workflow_sid: task.workflowSid ?? null,
    workflow_friendly_name: workflow?.friendlyName ?? null,
    workspace_sid: workspaceSid,
    url,
    links: {
      task_queue: task.queueSid ? `${base}/TaskQueues/${task.queueSid}` : null,
      workflow: task.workflowSid ? `${base}/Workflows/${task.workflowSid}` : null,
      workspace: base,
      reservations: `${url}/Reservations`,
    },
    virtual_start_time: v1Date(task.virtualStartTime),
    ignore_capacity: false,
    routing_target: null,
  };
}

/** A reservation as the task's or the worker's sub-resource (the same fields, a different URL). */
export function reservationJson(
  base: string,
  router: WorkspaceRouter,
  r: ReservationView,
  view: "task" | "worker",
) {
  const { accountSid, workspaceSid } = router.identity;
  return {
    account_sid: accountSid,
    date_created: v1Date(r.dateCreated),
    date_updated: v1Date(r.dateUpdated),
    reservation_status: r.status,
    sid: r.sid,
    task_sid: r.taskSid,
    worker_name: r.workerName,
    worker_sid: r.workerSid,
    workspace_sid: workspaceSid,
    url:
      view === "task"
        ? `${base}/Tasks/${r.taskSid}/Reservations/${r.sid}`
        : `${base}/Workers/${r.workerSid}/Reservations/${r.sid}`,
    links: { task: `${base}/Tasks/${r.taskSid}`, worker: `${base}/Workers/${r.workerSid}`, workspace: base },
  };
}
