import { formBoolean } from "../../platform/http/parameters.ts";
import type { WorkerView } from "@switchboard/engine";
import { z } from "zod";
import { pagingQuery } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";
import {
  channelSid,
  compiledParameter,
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
import { reservationJson, reservationUpdateBody, updateReservation } from "./tasks.ts";

const workerBody = z.object({
  FriendlyName: z.string().min(1).max(64).optional(),
  ActivitySid: z.string().optional(),
  Attributes: jsonObject.optional(),
  RejectPendingReservations: formBoolean.optional(),
});

const listQuery = pagingQuery.extend({
  ActivityName: z.string().optional(),
  ActivitySid: z.string().optional(),
  Available: formBoolean.optional(),
  FriendlyName: z.string().optional(),
  TargetWorkersExpression: z.string().optional(),
  TaskQueueName: z.string().optional(),
  TaskQueueSid: z.string().optional(),
  Ordering: z
    .enum(["DateCreated:asc", "DateCreated:desc", "DateStatusChanged:asc", "DateStatusChanged:desc"])
    .optional(),
});

/** Workers, their reservations and channels (TaskRouter v1). */
export function workerRoutes(app: HttpServer, service: RoutingService): void {
  const path = `${V1}/:WorkspaceSid/Workers`;

  app.post(
    path,
    {
      schema: { tags: ["TaskRouter"], summary: "Create a worker", params: workspaceParams, body: workerBody },
    },
    async (request, reply) => {
      const { router, workspace, base } = workspaceOf(service, request);
      const { FriendlyName, ActivitySid, Attributes } = request.body;
      if (!FriendlyName) throw missingParameter("FriendlyName");
      const sid = await routed(
        router.run<string>({
          op: "createWorker",
          worker: {
            friendlyName: FriendlyName,
            attributes: Attributes ?? {},
            activitySid: ActivitySid ?? workspace.defaultActivitySid,
          },
        }),
      );
      return reply.code(201).send(workerJson(base, router, router.routing.worker(sid)!));
    },
  );

  app.get(
    path,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List workers",
        params: workspaceParams,
        querystring: listQuery,
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const q = request.query;
      let matches: ((w: WorkerView) => boolean) | undefined;
      if (q.TargetWorkersExpression !== undefined) {
        const expression = compiledParameter("TargetWorkersExpression", q.TargetWorkersExpression, "worker");
        const now = Date.now();
        matches = (w) => expression.test({ now, worker: w });
      }
      const queueSid =
        q.TaskQueueSid ??
        (q.TaskQueueName !== undefined
          ? [...router.catalog.queues.values()].find((e) => e.record.friendlyName === q.TaskQueueName)?.record
              .sid
          : undefined);
      const members =
        queueSid !== undefined
          ? new Set(router.catalog.queues.has(queueSid) ? router.routing.queueMembers(queueSid) : [])
          : undefined;
      const workers = router.routing
        .allWorkers()
        .filter(
          (w) =>
            (q.ActivityName === undefined || w.activityName === q.ActivityName) &&
            (q.ActivitySid === undefined || w.activitySid === q.ActivitySid) &&
            (q.Available === undefined || w.available === q.Available) &&
            (q.FriendlyName === undefined || w.friendlyName === q.FriendlyName) &&
            (members === undefined || members.has(w.sid)) &&
            (matches === undefined || matches(w)),
        );
      const [field, direction] = (q.Ordering ?? "DateCreated:asc").split(":") as [string, string];
      const key = (w: WorkerView) => (field === "DateStatusChanged" ? w.dateStatusChanged : w.dateCreated);
      workers.sort(
        (a, b) => (key(a) - key(b) || a.sid.localeCompare(b.sid)) * (direction === "desc" ? -1 : 1),
      );
      return listed(request, "workers", workers, (w) => workerJson(base, router, w));
    },
  );

  app.get(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a worker", params: itemParams } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return workerJson(base, router, workerOf(router, request.params.Sid));
    },
  );

  app.post(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Update a worker", params: itemParams, body: workerBody } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { Sid } = request.params;
      workerOf(router, Sid);
      const { FriendlyName, ActivitySid, Attributes, RejectPendingReservations } = request.body;
      await routed(
        router.run({
          op: "updateWorker",
          sid: Sid,
          changes: {
            ...(FriendlyName !== undefined ? { friendlyName: FriendlyName } : {}),
            ...(ActivitySid !== undefined ? { activitySid: ActivitySid } : {}),
            ...(Attributes !== undefined ? { attributes: Attributes } : {}),
            ...(RejectPendingReservations !== undefined
              ? { rejectPendingReservations: RejectPendingReservations }
              : {}),
          },
        }),
      );
      return workerJson(base, router, workerOf(router, Sid));
    },
  );

  app.delete(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Delete a worker", params: itemParams } },
    async (request, reply) => {
      const { router } = workspaceOf(service, request);
      workerOf(router, request.params.Sid);
      await routed(router.run({ op: "removeWorker", sid: request.params.Sid }));
      return reply.code(204).send();
    },
  );

  const workerItem = z.object({ WorkspaceSid: z.string(), WorkerSid: z.string() });
  app.get(
    `${path}/:WorkerSid/Reservations`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List a worker's reservations",
        params: workerItem,
        querystring: pagingQuery.extend({ ReservationStatus: z.string().optional() }),
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      workerOf(router, request.params.WorkerSid);
      const status = request.query.ReservationStatus;
      const all = router.routing
        .reservationsOfWorker(request.params.WorkerSid)
        .filter((r) => status === undefined || r.status === status);
      return listed(request, "reservations", all, (r) => reservationJson(base, router, r, "worker"));
    },
  );

  const reservationItem = z.object({ WorkspaceSid: z.string(), WorkerSid: z.string(), Sid: z.string() });
  const reservationOfWorker = (router: WorkspaceRouter, workerSid: string, sid: string) => {
    workerOf(router, workerSid);
    const reservation = router.routing.reservation(sid);
    if (!reservation || reservation.workerSid !== workerSid) throw missing("Reservation", sid);
    return reservation;
  };
  app.get(
    `${path}/:WorkerSid/Reservations/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a worker's reservation", params: reservationItem } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const { WorkerSid, Sid } = request.params;
      return reservationJson(base, router, reservationOfWorker(router, WorkerSid, Sid), "worker");
    },
  );

  app.post(
    `${path}/:WorkerSid/Reservations/:Sid`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Accept, reject, wrap up or complete a worker's reservation",
        params: reservationItem,
        body: reservationUpdateBody,
      },
    },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { WorkerSid, Sid } = request.params;
      await updateReservation(router, reservationOfWorker(router, WorkerSid, Sid), request.body);
      return reservationJson(base, router, reservationOfWorker(router, WorkerSid, Sid), "worker");
    },
  );

  app.get(
    `${path}/:WorkerSid/Channels`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List a worker's channels",
        params: workerItem,
        querystring: pagingQuery,
      },
    },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      const worker = workerOf(router, request.params.WorkerSid);
      return listed(request, "channels", worker.channels, (c) =>
        workerChannelJson(base, router, worker, c.channelSid),
      );
    },
  );

  const channelItem = z.object({ WorkspaceSid: z.string(), WorkerSid: z.string(), Sid: z.string() });
  app.get(
    `${path}/:WorkerSid/Channels/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a worker channel", params: channelItem } },
    (request) => {
      const { router, base } = workspaceOf(service, request);
      return workerChannelJson(base, router, workerOf(router, request.params.WorkerSid), request.params.Sid);
    },
  );

  app.post(
    `${path}/:WorkerSid/Channels/:Sid`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Set a worker's capacity or availability on a channel",
        params: channelItem,
        body: z.object({ Capacity: z.coerce.number().int().optional(), Available: formBoolean.optional() }),
      },
    },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { WorkerSid, Sid } = request.params;
      workerOf(router, WorkerSid);
      await routed(
        router.run({
          op: "setWorkerChannel",
          workerSid: WorkerSid,
          channel: Sid,
          ...(request.body.Capacity !== undefined ? { capacity: request.body.Capacity } : {}),
          ...(request.body.Available !== undefined ? { available: request.body.Available } : {}),
        }),
      );
      return workerChannelJson(base, router, workerOf(router, WorkerSid), Sid);
    },
  );
}

export function workerOf(router: WorkspaceRouter, sid: string): WorkerView {
  const worker = router.routing.worker(sid);
  if (!worker) throw missing("Worker", sid);
  return worker;
}

export function workerJson(base: string, router: WorkspaceRouter, worker: WorkerView) {
  const { accountSid, workspaceSid } = router.identity;
  const url = `${base}/Workers/${worker.sid}`;
  return {
    account_sid: accountSid,
    activity_name: worker.activityName,
    activity_sid: worker.activitySid,
    attributes: JSON.stringify(worker.attributes),
    available: worker.available,
    date_created: v1Date(worker.dateCreated),
    date_status_changed: v1Date(worker.dateStatusChanged),
    date_updated: v1Date(worker.dateUpdated),
    friendly_name: worker.friendlyName,
    sid: worker.sid,
    workspace_sid: workspaceSid,
    url,
    links: {
      channels: `${url}/Channels`,
      reservations: `${url}/Reservations`,
      activity: `${base}/Activities/${worker.activitySid}`,
      workspace: base,
    },
  };
}

function workerChannelJson(base: string, router: WorkspaceRouter, worker: WorkerView, sidOrName: string) {
  const channel = router.catalog.channels.get(channelSid(router, sidOrName))!;
  const state = worker.channels.find((c) => c.channelSid === channel.record.sid);
  if (!state) throw missing("WorkerChannel", sidOrName);
  const { accountSid, workspaceSid } = router.identity;
  return {
    account_sid: accountSid,
    assigned_tasks: state.active,
    available: state.available,
    available_capacity_percentage:
      state.capacity === 0
        ? 0
        : Math.max(0, Math.round((100 * (state.capacity - state.active)) / state.capacity)),
    configured_capacity: state.capacity,
    date_created: v1Date(worker.dateCreated),
    date_updated: v1Date(worker.dateUpdated),
    sid: channel.record.sid,
    task_channel_sid: channel.record.sid,
    task_channel_unique_name: channel.record.uniqueName,
    worker_sid: worker.sid,
    workspace_sid: workspaceSid,
    url: `${base}/Workers/${worker.sid}/Channels/${channel.record.sid}`,
  };
}
