import { z } from "zod";
import { invalidParameter } from "../../platform/errors.ts";
import type { EventLog, StoredEvent } from "../../platform/events/event-log.ts";
import { pageOf, pageRequest, pagingQuery, v1List } from "../../platform/http/paging.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import { iso8601, isoAt } from "../../platform/time.ts";
import type { RoutingService } from "../service.ts";
import {
  channelSid,
  itemParams,
  missing,
  V1,
  dateParameter,
  DEFAULT_WINDOW_MINUTES,
  workspaceOf,
  workspaceParams,
} from "./common.ts";

/** Parameters every stored event carries; the rest are the event's own data. */
const ENVELOPE = new Set([
  "Sid",
  "AccountSid",
  "EventType",
  "EventDescription",
  "ResourceType",
  "ResourceSid",
  "Timestamp",
  "TimestampMs",
]);

const listQuery = pagingQuery.extend({
  EventType: z.string().max(64).optional(),
  Minutes: z.coerce.number().int().min(1).optional(),
  StartDate: z.string().optional(),
  EndDate: z.string().optional(),
  ReservationSid: z.string().optional(),
  TaskQueueSid: z.string().optional(),
  TaskSid: z.string().optional(),
  WorkerSid: z.string().optional(),
  WorkflowSid: z.string().optional(),
  TaskChannel: z.string().optional(),
  Sid: z.string().optional(),
});

/** A workspace's events (TaskRouter v1), newest first, read from the event log. */
export function routingEventRoutes(app: HttpServer, service: RoutingService, events: EventLog): void {
  const path = `${V1}/:WorkspaceSid/Events`;

  app.get(
    path,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "List a workspace's events, newest first",
        params: workspaceParams,
        querystring: listQuery,
      },
    },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const q = request.query;
      const endMs = q.EndDate !== undefined ? dateParameter("EndDate", q.EndDate) : Date.now();
      const startMs =
        q.StartDate !== undefined
          ? dateParameter("StartDate", q.StartDate)
          : endMs - (q.Minutes ?? DEFAULT_WINDOW_MINUTES) * 60_000;
      const data: Record<string, string> = {};
      if (q.ReservationSid !== undefined) data.ReservationSid = q.ReservationSid;
      if (q.TaskQueueSid !== undefined) data.TaskQueueSid = q.TaskQueueSid;
      if (q.TaskSid !== undefined) data.TaskSid = q.TaskSid;
      if (q.WorkerSid !== undefined) data.WorkerSid = q.WorkerSid;
      if (q.WorkflowSid !== undefined) data.WorkflowSid = q.WorkflowSid;
      if (q.TaskChannel !== undefined) data.TaskChannelSid = channelSid(router, q.TaskChannel);
      if (q.Sid !== undefined) data.Sid = q.Sid;
      const page = pageRequest(q);
      const before = page.after?.[0];
      if (page.after && typeof before !== "number")
        throw invalidParameter("Invalid parameter PageToken: not an event token");
      const rows = await events.list(
        request.principal.accountSid,
        {
          scopeSid: router.identity.workspaceSid,
          eventType: q.EventType,
          startDate: isoAt(startMs),
          endDate: isoAt(endMs),
          data,
        },
        { limit: page.pageSize + 1, beforeSeq: before as number | undefined, offset: page.offset },
      );
      const result = pageOf(rows, page, (e) => [e.seq]);
      return v1List(request, "events", page, {
        ...result,
        items: result.items.map((e) => eventJson(base, e)),
      });
    },
  );

  app.get(
    `${path}/:Sid`,
    { schema: { tags: ["TaskRouter"], summary: "Fetch a workspace event", params: itemParams } },
    async (request) => {
      const { router, base } = workspaceOf(service, request);
      const { Sid } = request.params;
      const event = await events.get(request.principal.accountSid, Sid, router.identity.workspaceSid);
      if (!event) throw missing("Event", Sid);
      return eventJson(base, event);
    },
  );
}

function eventJson(base: string, event: StoredEvent) {
  const eventData: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.data))
    if (!ENVELOPE.has(name)) eventData[snakeCase(name)] = value;
  const at = Number(event.data.TimestampMs ?? Date.parse(event.dateCreated));
  return {
    account_sid: event.accountSid,
    actor_sid: event.scopeSid,
    actor_type: "workspace",
    actor_url: base,
    description: event.description,
    event_data: eventData,
    event_date: iso8601(isoAt(at)),
    event_date_ms: at,
    event_type: event.eventType,
    resource_sid: event.resourceSid,
    resource_type: event.resourceType,
    resource_url: resourceUrl(base, event),
    sid: event.sid,
    source: "switchboard",
    source_ip_address: null,
    workspace_sid: event.scopeSid,
    url: `${base}/Events/${event.sid}`,
  };
}

/** "TaskQueueSid" → "task_queue_sid", as the REST view of event data names its fields. */
function snakeCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])([A-Z])/g, "_$1").toLowerCase();
}

function resourceUrl(base: string, event: StoredEvent): string {
  const sid = event.resourceSid;
  switch (event.resourceType) {
    case "task":
      return `${base}/Tasks/${sid}`;
    case "reservation":
      return `${base}/Tasks/${event.data.TaskSid}/Reservations/${sid}`;
    case "worker":
      return `${base}/Workers/${sid}`;
    case "task-queue":
      return `${base}/TaskQueues/${sid}`;
    case "workflow":
      return `${base}/Workflows/${sid}`;
    case "activity":
      return `${base}/Activities/${sid}`;
    case "task-channel":
      return `${base}/TaskChannels/${sid}`;
    default:
      return base;
  }
}
