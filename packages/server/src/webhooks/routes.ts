import { isSid } from "@switchboard/engine";
import { z } from "zod";
import { conflict, notFound } from "../platform/errors.ts";
import { origin, pageRequest, pagingQuery, v1List } from "../platform/http/paging.ts";
import { httpUrl } from "../platform/http/parameters.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import type { Attempt, Delivery, Webhook, WebhookStore } from "./store.ts";

/** Event types as a comma-separated list or a repeated parameter; empty means every type. */
const eventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/, "expected dotted event types such as task.created"),
    ),
  );

const status = z.enum(["active", "disabled"]);
const sidParams = z.object({ Sid: z.string() });
const deliveryParams = z.object({ WebhookSid: z.string(), Sid: z.string() });

/**
 * Webhook subscriptions and their delivery log, under Switchboard's own prefix. A subscription
 * receives the account's events (optionally only some types) as signed, form-encoded POSTs.
 */
export function webhookRoutes(app: HttpServer, webhooks: WebhookStore): void {
  const base = `${API_PREFIX}/Webhooks`;
  const tags = ["Webhooks"];

  const missingWebhook = (sid: string) => notFound(`The requested resource ${base}/${sid} was not found`);
  const mustFind = async (accountSid: string, sid: string): Promise<Webhook> => {
    const webhook = isSid(sid, "WH") ? await webhooks.get(accountSid, sid) : undefined;
    if (!webhook) throw missingWebhook(sid);
    return webhook;
  };

  app.post(
    base,
    {
      schema: {
        tags,
        summary: "Subscribe a URL to the account's events",
        body: z.object({
          Url: httpUrl,
          FriendlyName: z.string().max(255).optional(),
          EventTypes: eventTypes.optional(),
          Status: status.optional(),
        }),
      },
    },
    async (request, reply) => {
      const { Url, FriendlyName, EventTypes, Status } = request.body;
      const webhook = await webhooks.create(request.principal.accountSid, {
        url: Url,
        friendlyName: FriendlyName ?? "",
        eventTypes: EventTypes ?? [],
        status: Status ?? "active",
      });
      return reply.code(201).send(webhookJson(request, webhook));
    },
  );

  app.get(
    base,
    { schema: { tags, summary: "List webhook subscriptions", querystring: pagingQuery } },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await webhooks.list(request.principal.accountSid, page);
      return v1List(request, "webhooks", page, {
        ...result,
        items: result.items.map((w) => webhookJson(request, w)),
      });
    },
  );

  app.get(
    `${base}/:Sid`,
    { schema: { tags, summary: "Fetch a webhook subscription", params: sidParams } },
    async (request) => webhookJson(request, await mustFind(request.principal.accountSid, request.params.Sid)),
  );

  app.post(
    `${base}/:Sid`,
    {
      schema: {
        tags,
        summary: "Change a webhook subscription",
        params: sidParams,
        body: z
          .object({
            Url: httpUrl.optional(),
            FriendlyName: z.string().max(255).optional(),
            EventTypes: eventTypes.optional(),
            Status: status.optional(),
          })
          .default({}),
      },
    },
    async (request) => {
      const { Sid } = request.params;
      const { Url, FriendlyName, EventTypes, Status } = request.body;
      const changes = { url: Url, friendlyName: FriendlyName, eventTypes: EventTypes, status: Status };
      const updated = isSid(Sid, "WH")
        ? await webhooks.update(request.principal.accountSid, Sid, changes)
        : undefined;
      if (!updated) throw missingWebhook(Sid);
      return webhookJson(request, updated);
    },
  );

  app.delete(
    `${base}/:Sid`,
    { schema: { tags, summary: "Delete a subscription and its delivery log", params: sidParams } },
    async (request, reply) => {
      const { Sid } = request.params;
      if (!isSid(Sid, "WH") || !(await webhooks.remove(request.principal.accountSid, Sid)))
        throw missingWebhook(Sid);
      return reply.code(204).send();
    },
  );

  app.get(
    `${base}/:WebhookSid/Deliveries`,
    {
      schema: {
        tags,
        summary: "List deliveries of events to a subscription, oldest first",
        params: z.object({ WebhookSid: z.string() }),
        querystring: pagingQuery.extend({
          Status: z.enum(["queued", "retrying", "delivered", "dead"]).optional(),
        }),
      },
    },
    async (request) => {
      const { accountSid } = request.principal;
      const webhook = await mustFind(accountSid, request.params.WebhookSid);
      const page = pageRequest(request.query);
      const result = await webhooks.listDeliveries(accountSid, webhook.sid, request.query.Status, page);
      return v1List(request, "deliveries", page, {
        ...result,
        items: result.items.map((d) => deliveryJson(request, d)),
      });
    },
  );

  const mustFindDelivery = async (accountSid: string, webhookSid: string, sid: string): Promise<Delivery> => {
    const delivery = isSid(sid, "DL") ? await webhooks.getDelivery(accountSid, webhookSid, sid) : undefined;
    if (!delivery)
      throw notFound(`The requested resource ${base}/${webhookSid}/Deliveries/${sid} was not found`);
    return delivery;
  };

  app.get(
    `${base}/:WebhookSid/Deliveries/:Sid`,
    { schema: { tags, summary: "Fetch one delivery", params: deliveryParams } },
    async (request) => {
      const { accountSid } = request.principal;
      await mustFind(accountSid, request.params.WebhookSid);
      return deliveryJson(
        request,
        await mustFindDelivery(accountSid, request.params.WebhookSid, request.params.Sid),
      );
    },
  );

  app.post(
    `${base}/:WebhookSid/Deliveries/:Sid/Replay`,
    {
      schema: {
        tags,
        summary: "Send a delivery's event again now (after fixing the endpoint); its attempt log is kept",
        params: deliveryParams,
      },
    },
    async (request) => {
      const { accountSid } = request.principal;
      await mustFind(accountSid, request.params.WebhookSid);
      const delivery = await mustFindDelivery(accountSid, request.params.WebhookSid, request.params.Sid);
      const replayed = await webhooks.replay(accountSid, delivery.webhookSid, delivery.sid);
      if (!replayed) throw conflict(`Delivery ${delivery.sid} is being sent right now`);
      return deliveryJson(request, replayed);
    },
  );

  app.get(
    `${base}/:WebhookSid/Deliveries/:Sid/Attempts`,
    {
      schema: {
        tags,
        summary: "List a delivery's attempts",
        params: deliveryParams,
        querystring: pagingQuery,
      },
    },
    async (request) => {
      const { accountSid } = request.principal;
      await mustFind(accountSid, request.params.WebhookSid);
      const delivery = await mustFindDelivery(accountSid, request.params.WebhookSid, request.params.Sid);
      const page = pageRequest(request.query);
      const result = await webhooks.listAttempts(accountSid, delivery.sid, page);
      return v1List(request, "attempts", page, { ...result, items: result.items.map(attemptJson) });
    },
  );
}

type Request = Parameters<typeof v1List>[0];

function webhookJson(request: Request, webhook: Webhook) {
  const url = `${origin(request)}${API_PREFIX}/Webhooks/${webhook.sid}`;
  return {
    sid: webhook.sid,
    account_sid: webhook.accountSid,
    friendly_name: webhook.friendlyName || null,
    webhook_url: webhook.url,
    event_types: webhook.eventTypes,
    status: webhook.status,
    date_created: iso8601(webhook.dateCreated),
    date_updated: iso8601(webhook.dateUpdated),
    url,
    links: { deliveries: `${url}/Deliveries` },
  };
}

function deliveryJson(request: Request, delivery: Delivery) {
  const url = `${origin(request)}${API_PREFIX}/Webhooks/${delivery.webhookSid}/Deliveries/${delivery.sid}`;
  return {
    sid: delivery.sid,
    account_sid: delivery.accountSid,
    webhook_sid: delivery.webhookSid,
    event_sid: delivery.eventSid,
    webhook_url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at:
      delivery.status === "queued" || delivery.status === "retrying" ? iso8601(delivery.nextAttemptAt) : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    date_delivered: delivery.dateDelivered && iso8601(delivery.dateDelivered),
    date_created: iso8601(delivery.dateCreated),
    date_updated: iso8601(delivery.dateUpdated),
    url,
    links: { attempts: `${url}/Attempts` },
  };
}

function attemptJson(attempt: Attempt) {
  return {
    sid: attempt.sid,
    account_sid: attempt.accountSid,
    delivery_sid: attempt.deliverySid,
    attempt_number: attempt.attemptNumber,
    outcome: attempt.outcome,
    status_code: attempt.statusCode,
    error: attempt.error,
    duration_ms: attempt.durationMs,
    date_created: iso8601(attempt.dateCreated),
    date_updated: iso8601(attempt.dateUpdated),
  };
}
