import { isSid } from "@switchboard/engine";
import { z } from "zod";
import { invalidParameter, notFound } from "../errors.ts";
import { origin, pageOf, pageRequest, pagingQuery, v1List } from "../http/paging.ts";
import type { HttpServer } from "../http/server.ts";
import { iso8601 } from "../time.ts";
import type { EventLog, StoredEvent } from "./event-log.ts";

const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), "expected an ISO 8601 date such as 2026-11-21T09:00:00Z")
  .transform((v) => new Date(v).toISOString());

/** The account's event log, newest first: what happened, to which resource, and what webhooks were sent. */
export function eventRoutes(app: HttpServer, prefix: string, events: EventLog): void {
  const base = `${prefix}/Events`;
  app.get(
    base,
    {
      schema: {
        tags: ["Events"],
        summary: "List the account's events, newest first",
        querystring: pagingQuery.extend({
          EventType: z.string().max(64).optional(),
          ResourceSid: z.string().max(34).optional(),
          StartDate: isoDate.optional(),
          EndDate: isoDate.optional(),
        }),
      },
    },
    async (request) => {
      const { EventType, ResourceSid, StartDate, EndDate } = request.query;
      const page = pageRequest(request.query);
      const before = page.after?.[0];
      if (page.after && typeof before !== "number")
        throw invalidParameter("Invalid parameter PageToken: not an event token");
      const rows = await events.list(
        request.principal.accountSid,
        { eventType: EventType, resourceSid: ResourceSid, startDate: StartDate, endDate: EndDate },
        { limit: page.pageSize + 1, beforeSeq: before as number | undefined, offset: page.offset },
      );
      const result = pageOf(rows, page, (e) => [e.seq]);
      return v1List(request, "events", page, {
        ...result,
        items: result.items.map((e) => eventJson(request, base, e)),
      });
    },
  );

  app.get(
    `${base}/:Sid`,
    { schema: { tags: ["Events"], summary: "Fetch one event", params: z.object({ Sid: z.string() }) } },
    async (request) => {
      const { Sid } = request.params;
      const event = isSid(Sid, "EV") ? await events.get(request.principal.accountSid, Sid) : undefined;
      if (!event) throw notFound(`The requested resource ${base}/${Sid} was not found`);
      return eventJson(request, base, event);
    },
  );
}

function eventJson(request: Parameters<typeof v1List>[0], base: string, event: StoredEvent) {
  return {
    sid: event.sid,
    account_sid: event.accountSid,
    event_type: event.eventType,
    description: event.description,
    resource_type: event.resourceType,
    resource_sid: event.resourceSid,
    event_date: iso8601(event.dateCreated),
    event_date_ms: Date.parse(event.dateCreated),
    event_data: event.data,
    url: `${origin(request)}${base}/${event.sid}`,
  };
}
