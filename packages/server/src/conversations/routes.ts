import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { origin, pageRequest, pagingQuery, v1List, type Page } from "../platform/http/paging.ts";
import { httpUrl } from "../platform/http/parameters.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import { mediaOf } from "../media/store.ts";
import {
  receiptStatus,
  type ChannelMessage,
  type DeliverySummary,
  type MessageStore,
} from "../messaging/store.ts";
import { date, eventFilters, jsonText, list, timer } from "./parameters.ts";
import type { FlowStore } from "../flows/store.ts";
import type { TypingRelay } from "./typing.ts";
import {
  type Conversation,
  type ConversationStore,
  type ConversationWebhook,
  type Message,
  type Participant,
} from "./store.ts";

const V1 = "/v1/Conversations";
const tags = ["Conversations"];

const state = z.enum(["initializing", "active", "inactive", "closed"]);

const conversationBody = z.object({
  FriendlyName: z.string().max(256).optional(),
  UniqueName: z.string().max(256).optional(),
  Attributes: jsonText.optional(),
  State: state.optional(),
  MessagingServiceSid: z.string().optional(),
  "Timers.Inactive": timer(1).optional(),
  "Timers.Closed": timer(10).optional(),
  DateCreated: date.optional(),
  DateUpdated: date.optional(),
});

const participantBody = z.object({
  Identity: z.string().min(1).max(256).optional(),
  "MessagingBinding.Address": z.string().min(1).max(256).optional(),
  "MessagingBinding.ProxyAddress": z.string().min(1).max(256).optional(),
  "MessagingBinding.ProjectedAddress": z.string().min(1).max(256).optional(),
  Attributes: jsonText.optional(),
  RoleSid: z.string().optional(),
  DateCreated: date.optional(),
  DateUpdated: date.optional(),
});

const messageBody = z.object({
  Author: z.string().max(256).optional(),
  Body: z.string().max(32_000).optional(),
  Attributes: jsonText.optional(),
  Subject: z.string().max(256).optional(),
  /** One file, or several (the parameter repeated), uploaded through /switchboard/v1/Media. */
  MediaSid: list.optional(),
  ContentSid: z.string().optional(),
  DateCreated: date.optional(),
  DateUpdated: date.optional(),
});

const webhookConfiguration = {
  "Configuration.Url": httpUrl.optional(),
  "Configuration.Method": z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.literal("POST", { message: "only POST is supported" }))
    .optional(),
  "Configuration.Filters": eventFilters.optional(),
  "Configuration.Triggers": list.optional(),
  "Configuration.FlowSid": z.string().optional(),
};

const conversationParams = z.object({ ConversationSid: z.string() });
const itemParams = z.object({ ConversationSid: z.string(), Sid: z.string() });
const receiptParams = z.object({ ConversationSid: z.string(), MessageSid: z.string(), Sid: z.string() });

/**
 * The Conversations v1 API on Twilio's paths: conversations (by SID or unique name), participants
 * (chat identities and messaging bindings), messages and conversation-scoped webhooks.
 */
export function conversationRoutes(
  app: HttpServer,
  store: ConversationStore,
  messages: MessageStore,
  typing: TypingRelay,
  flows: FlowStore,
): void {
  /** A studio webhook must name a published flow of the account. */
  const assertFlow = async (request: FastifyRequest, flowSid: string | undefined) => {
    if (flowSid === undefined) return;
    const problem = await flows.bindingProblem(request.principal.accountSid, flowSid);
    if (problem) throw invalidParameter(`Invalid parameter Configuration.FlowSid: ${problem}`);
  };
  const conversationOf = async (request: FastifyRequest): Promise<Conversation> => {
    const { ConversationSid } = request.params as { ConversationSid: string };
    const conversation = await store.get(request.principal.accountSid, ConversationSid);
    if (!conversation) throw notFound(`The requested resource ${V1}/${ConversationSid} was not found`);
    return conversation;
  };
  const missing = (request: FastifyRequest) =>
    notFound(`The requested resource ${request.url.split("?")[0]} was not found`);

  // --- Conversations -------------------------------------------------------------------------

  app.post(
    V1,
    { schema: { tags, summary: "Create a conversation", body: conversationBody.default({}) } },
    async (request, reply) => {
      const conversation = await store.create(request.principal.accountSid, conversationInput(request.body));
      return reply.code(201).send(conversationJson(request, conversation));
    },
  );

  app.get(
    V1,
    {
      schema: {
        tags,
        summary: "List conversations, oldest first",
        querystring: pagingQuery.extend({
          State: state.optional(),
          StartDate: date.optional(),
          EndDate: date.optional(),
        }),
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { State, StartDate, EndDate } = request.query;
      const result = await store.list(
        request.principal.accountSid,
        { state: State, startDate: StartDate, endDate: EndDate },
        page,
      );
      return v1List(
        request,
        "conversations",
        page,
        mapPage(result, (c) => conversationJson(request, c)),
      );
    },
  );

  app.get(
    `${V1}/:ConversationSid`,
    { schema: { tags, summary: "Fetch a conversation", params: conversationParams } },
    async (request) => conversationJson(request, await conversationOf(request)),
  );

  app.post(
    `${V1}/:ConversationSid`,
    {
      schema: {
        tags,
        summary: "Change a conversation",
        params: conversationParams,
        body: conversationBody.default({}),
      },
    },
    async (request) => {
      const updated = await store.update(
        request.principal.accountSid,
        request.params.ConversationSid,
        conversationInput(request.body),
      );
      if (!updated) throw missing(request);
      return conversationJson(request, updated);
    },
  );

  app.delete(
    `${V1}/:ConversationSid`,
    {
      schema: {
        tags,
        summary: "Delete a conversation with its messages and participants",
        params: conversationParams,
      },
    },
    async (request, reply) => {
      if (!(await store.remove(request.principal.accountSid, request.params.ConversationSid)))
        throw missing(request);
      return reply.code(204).send();
    },
  );

  // --- Participants --------------------------------------------------------------------------

  app.post(
    `${V1}/:ConversationSid/Participants`,
    {
      schema: {
        tags,
        summary: "Add a participant",
        params: conversationParams,
        body: participantBody.default({}),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const identity = body.Identity;
      const address = body["MessagingBinding.Address"];
      const proxyAddress = body["MessagingBinding.ProxyAddress"];
      const projectedAddress = body["MessagingBinding.ProjectedAddress"];
      if (identity === undefined && address === undefined)
        throw invalidParameter("A participant needs an Identity (chat) or a MessagingBinding.Address");
      if (identity !== undefined && address !== undefined)
        throw invalidParameter("A participant has an Identity or a MessagingBinding.Address, not both");
      if (address !== undefined && proxyAddress === undefined && !address.includes("@"))
        throw invalidParameter("Missing required parameter MessagingBinding.ProxyAddress in the post body");
      if (projectedAddress !== undefined && identity === undefined)
        throw invalidParameter(
          "MessagingBinding.ProjectedAddress is for chat participants: give an Identity",
        );
      const participant = await store.addParticipant(await conversationOf(request), {
        identity,
        address,
        proxyAddress,
        projectedAddress,
        attributes: body.Attributes,
        roleSid: body.RoleSid,
        dateCreated: body.DateCreated,
        dateUpdated: body.DateUpdated,
      });
      return reply.code(201).send(participantJson(request, participant));
    },
  );

  app.get(
    `${V1}/:ConversationSid/Participants`,
    { schema: { tags, summary: "List participants", params: conversationParams, querystring: pagingQuery } },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await store.listParticipants(await conversationOf(request), page);
      return v1List(
        request,
        "participants",
        page,
        mapPage(result, (p) => participantJson(request, p)),
      );
    },
  );

  app.get(
    `${V1}/:ConversationSid/Participants/:Sid`,
    { schema: { tags, summary: "Fetch a participant by SID or identity", params: itemParams } },
    async (request) => {
      const participant = await store.getParticipant(await conversationOf(request), request.params.Sid);
      if (!participant) throw missing(request);
      return participantJson(request, participant);
    },
  );

  app.post(
    `${V1}/:ConversationSid/Participants/:Sid`,
    {
      schema: {
        tags,
        summary: "Change a participant",
        params: itemParams,
        body: participantBody
          .omit({ "MessagingBinding.Address": true })
          .extend({
            LastReadMessageIndex: z.union([z.literal(""), z.coerce.number().int().min(0)]).optional(),
            LastReadTimestamp: date.optional(),
          })
          .default({}),
      },
    },
    async (request) => {
      const conversation = await conversationOf(request);
      const current = await store.getParticipant(conversation, request.params.Sid);
      if (!current) throw missing(request);
      const body = request.body;
      const updated = await store.updateParticipant(conversation, current.sid, {
        identity: body.Identity,
        proxyAddress: body["MessagingBinding.ProxyAddress"],
        projectedAddress: body["MessagingBinding.ProjectedAddress"],
        attributes: body.Attributes,
        roleSid: body.RoleSid,
        lastReadMessageIndex: body.LastReadMessageIndex === "" ? null : body.LastReadMessageIndex,
        lastReadTimestamp: body.LastReadTimestamp,
        dateCreated: body.DateCreated,
        dateUpdated: body.DateUpdated,
      });
      if (!updated) throw missing(request);
      return participantJson(request, updated);
    },
  );

  app.delete(
    `${V1}/:ConversationSid/Participants/:Sid`,
    { schema: { tags, summary: "Remove a participant", params: itemParams } },
    async (request, reply) => {
      const conversation = await conversationOf(request);
      const participant = await store.getParticipant(conversation, request.params.Sid);
      if (!participant || !(await store.removeParticipant(conversation, participant.sid)))
        throw missing(request);
      return reply.code(204).send();
    },
  );

  // --- Messages ------------------------------------------------------------------------------

  app.post(
    `${V1}/:ConversationSid/Messages`,
    {
      schema: { tags, summary: "Send a message", params: conversationParams, body: messageBody.default({}) },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.ContentSid !== undefined)
        throw invalidParameter("Content templates are not supported yet: send a Body or MediaSid");
      if (body.Body === undefined && !body.MediaSid?.length)
        throw invalidParameter("Missing required parameter Body or MediaSid in the post body");
      const message = await store.addMessage(await conversationOf(request), {
        author: body.Author,
        body: body.Body,
        media: body.MediaSid,
        attributes: body.Attributes,
        subject: body.Subject,
        dateCreated: body.DateCreated,
        dateUpdated: body.DateUpdated,
      });
      return reply.code(201).send(messageJson(request, message));
    },
  );

  app.get(
    `${V1}/:ConversationSid/Messages`,
    {
      schema: {
        tags,
        summary: "List messages in index order",
        params: conversationParams,
        querystring: pagingQuery.extend({ Order: z.enum(["asc", "desc"]).optional() }),
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await store.listMessages(
        await conversationOf(request),
        request.query.Order ?? "asc",
        page,
      );
      const deliveries = await messages.deliverySummaries(
        request.principal.accountSid,
        result.items.map((m) => m.sid),
      );
      return v1List(
        request,
        "messages",
        page,
        mapPage(result, (m) => messageJson(request, m, deliveries.get(m.sid))),
      );
    },
  );

  app.get(
    `${V1}/:ConversationSid/Messages/:Sid`,
    { schema: { tags, summary: "Fetch a message", params: itemParams } },
    async (request) => {
      const message = await store.getMessage(await conversationOf(request), request.params.Sid);
      if (!message) throw missing(request);
      const deliveries = await messages.deliverySummaries(request.principal.accountSid, [message.sid]);
      return messageJson(request, message, deliveries.get(message.sid));
    },
  );

  // --- Typing indicator (Switchboard's: Twilio's lives in its client SDKs) ---------------------

  app.post(
    `${API_PREFIX}/Conversations/:ConversationSid/Typing`,
    {
      schema: {
        tags,
        summary: "Tell the conversation's other sockets that a participant is typing",
        params: conversationParams,
        body: z.object({ Identity: z.string().min(1).max(256) }),
      },
    },
    async (request, reply) => {
      const conversation = await conversationOf(request);
      const participant = await store.getParticipant(conversation, request.body.Identity);
      if (!participant)
        throw invalidParameter(`Invalid parameter Identity: ${request.body.Identity} is not a participant`);
      typing.announce({
        accountSid: conversation.account_sid,
        conversationSid: conversation.sid,
        identity: request.body.Identity,
      });
      return reply.code(204).send();
    },
  );

  // --- Delivery receipts: one per messaging participant a message was sent to ----------------

  app.get(
    `${V1}/:ConversationSid/Messages/:MessageSid/Receipts`,
    {
      schema: {
        tags,
        summary: "List a message's delivery receipts",
        params: receiptParams.omit({ Sid: true }),
        querystring: pagingQuery,
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const message = await store.getMessage(await conversationOf(request), request.params.MessageSid);
      if (!message) throw missing(request);
      const result = await messages.receipts(request.principal.accountSid, message.sid, page);
      return v1List(
        request,
        "delivery_receipts",
        page,
        mapPage(result, (r) => receiptJson(request, r)),
      );
    },
  );

  app.get(
    `${V1}/:ConversationSid/Messages/:MessageSid/Receipts/:Sid`,
    { schema: { tags, summary: "Fetch a delivery receipt", params: receiptParams } },
    async (request) => {
      const conversation = await conversationOf(request);
      const receipt = await messages.receipt(
        request.principal.accountSid,
        request.params.MessageSid,
        request.params.Sid,
      );
      if (!receipt || receipt.conversation_sid !== conversation.sid) throw missing(request);
      return receiptJson(request, receipt);
    },
  );

  app.post(
    `${V1}/:ConversationSid/Messages/:Sid`,
    {
      schema: {
        tags,
        summary: "Change a message",
        params: itemParams,
        body: messageBody.omit({ MediaSid: true, ContentSid: true }).default({}),
      },
    },
    async (request) => {
      const body = request.body;
      const updated = await store.updateMessage(await conversationOf(request), request.params.Sid, {
        author: body.Author,
        body: body.Body,
        attributes: body.Attributes,
        subject: body.Subject,
        dateCreated: body.DateCreated,
        dateUpdated: body.DateUpdated,
      });
      if (!updated) throw missing(request);
      return messageJson(request, updated);
    },
  );

  app.delete(
    `${V1}/:ConversationSid/Messages/:Sid`,
    { schema: { tags, summary: "Delete a message", params: itemParams } },
    async (request, reply) => {
      if (!(await store.removeMessage(await conversationOf(request), request.params.Sid)))
        throw missing(request);
      return reply.code(204).send();
    },
  );

  // --- Conversation-scoped webhooks ----------------------------------------------------------

  app.post(
    `${V1}/:ConversationSid/Webhooks`,
    {
      schema: {
        tags,
        summary: "Add a webhook to a conversation",
        params: conversationParams,
        body: z.object({
          Target: z.enum(["webhook", "trigger", "studio"]),
          ...webhookConfiguration,
          "Configuration.ReplayAfter": z.coerce.number().int().min(0).optional(),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.Target !== "studio" && body["Configuration.Url"] === undefined)
        throw invalidParameter("Missing required parameter Configuration.Url in the post body");
      if (body.Target === "studio" && body["Configuration.FlowSid"] === undefined)
        throw invalidParameter("Missing required parameter Configuration.FlowSid in the post body");
      await assertFlow(request, body["Configuration.FlowSid"]);
      const webhook = await store.addWebhook(await conversationOf(request), {
        target: body.Target,
        url: body["Configuration.Url"],
        filters: body["Configuration.Filters"],
        triggers: body["Configuration.Triggers"],
        flowSid: body["Configuration.FlowSid"],
        replayAfter: body["Configuration.ReplayAfter"],
      });
      return reply.code(201).send(webhookJson(request, webhook));
    },
  );

  app.get(
    `${V1}/:ConversationSid/Webhooks`,
    {
      schema: {
        tags,
        summary: "List a conversation's webhooks",
        params: conversationParams,
        querystring: pagingQuery,
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await store.listWebhooks(await conversationOf(request), page);
      return v1List(
        request,
        "webhooks",
        page,
        mapPage(result, (w) => webhookJson(request, w)),
      );
    },
  );

  app.get(
    `${V1}/:ConversationSid/Webhooks/:Sid`,
    { schema: { tags, summary: "Fetch a conversation webhook", params: itemParams } },
    async (request) => {
      const webhook = await store.getWebhook(await conversationOf(request), request.params.Sid);
      if (!webhook) throw missing(request);
      return webhookJson(request, webhook);
    },
  );

  app.post(
    `${V1}/:ConversationSid/Webhooks/:Sid`,
    {
      schema: {
        tags,
        summary: "Change a conversation webhook",
        params: itemParams,
        body: z.object(webhookConfiguration).default({}),
      },
    },
    async (request) => {
      const body = request.body;
      await assertFlow(request, body["Configuration.FlowSid"]);
      const updated = await store.updateWebhook(await conversationOf(request), request.params.Sid, {
        url: body["Configuration.Url"],
        filters: body["Configuration.Filters"],
        triggers: body["Configuration.Triggers"],
        flowSid: body["Configuration.FlowSid"],
      });
      if (!updated) throw missing(request);
      return webhookJson(request, updated);
    },
  );

  app.delete(
    `${V1}/:ConversationSid/Webhooks/:Sid`,
    { schema: { tags, summary: "Remove a conversation webhook", params: itemParams } },
    async (request, reply) => {
      if (!(await store.removeWebhook(await conversationOf(request), request.params.Sid)))
        throw missing(request);
      return reply.code(204).send();
    },
  );
}

function conversationInput(body: z.infer<typeof conversationBody>) {
  return {
    uniqueName: body.UniqueName,
    friendlyName: body.FriendlyName,
    attributes: body.Attributes,
    state: body.State,
    messagingServiceSid: body.MessagingServiceSid,
    timersInactive: body["Timers.Inactive"],
    timersClosed: body["Timers.Closed"],
    dateCreated: body.DateCreated,
    dateUpdated: body.DateUpdated,
  };
}

function mapPage<T, J>(page: Page<T>, toJson: (item: T) => J): Page<J> {
  return { ...page, items: page.items.map(toJson) };
}

const v1Date = (iso: string | null) => (iso === null ? null : iso8601(iso));

function conversationJson(request: FastifyRequest, c: Conversation) {
  const url = `${origin(request)}${V1}/${c.sid}`;
  return {
    account_sid: c.account_sid,
    chat_service_sid: null,
    messaging_service_sid: c.messaging_service_sid,
    sid: c.sid,
    friendly_name: c.friendly_name,
    unique_name: c.unique_name,
    attributes: c.attributes,
    state: c.state,
    date_created: v1Date(c.date_created),
    date_updated: v1Date(c.date_updated),
    timers: {
      ...(c.date_inactive !== null && { date_inactive: v1Date(c.date_inactive) }),
      ...(c.date_closed !== null && { date_closed: v1Date(c.date_closed) }),
    },
    url,
    links: { participants: `${url}/Participants`, messages: `${url}/Messages`, webhooks: `${url}/Webhooks` },
    bindings: null,
  };
}

function participantJson(request: FastifyRequest, p: Participant) {
  let binding: Record<string, string | null> | null = null;
  if (p.address !== null)
    binding = { type: p.binding_type, address: p.address, proxy_address: p.proxy_address };
  else if (p.projected_address !== null) binding = { type: "sms", projected_address: p.projected_address };
  return {
    account_sid: p.account_sid,
    conversation_sid: p.conversation_sid,
    sid: p.sid,
    identity: p.identity,
    attributes: p.attributes,
    messaging_binding: binding,
    role_sid: p.role_sid,
    date_created: v1Date(p.date_created),
    date_updated: v1Date(p.date_updated),
    url: `${origin(request)}${V1}/${p.conversation_sid}/Participants/${p.sid}`,
    last_read_message_index: p.last_read_message_index,
    last_read_timestamp: v1Date(p.last_read_timestamp),
  };
}

function messageJson(request: FastifyRequest, m: Message, delivery?: DeliverySummary) {
  const url = `${origin(request)}${V1}/${m.conversation_sid}/Messages/${m.sid}`;
  return {
    account_sid: m.account_sid,
    conversation_sid: m.conversation_sid,
    sid: m.sid,
    index: m.message_index,
    author: m.author,
    body: m.body,
    media: m.media === null ? null : mediaOf(m.media),
    attributes: m.attributes,
    participant_sid: m.participant_sid,
    date_created: v1Date(m.date_created),
    date_updated: v1Date(m.date_updated),
    url,
    delivery: delivery ?? null,
    links: { delivery_receipts: `${url}/Receipts`, channel_metadata: `${url}/ChannelMetadata` },
    content_sid: null,
  };
}

function receiptJson(request: FastifyRequest, r: ChannelMessage) {
  return {
    account_sid: r.account_sid,
    conversation_sid: r.conversation_sid,
    sid: r.receipt_sid,
    message_sid: r.message_sid,
    channel_message_sid: r.sid,
    participant_sid: r.participant_sid,
    status: receiptStatus(r),
    error_code: r.error_code ?? 0,
    date_created: v1Date(r.date_created),
    date_updated: v1Date(r.date_updated),
    url: `${origin(request)}${V1}/${r.conversation_sid}/Messages/${r.message_sid}/Receipts/${r.receipt_sid}`,
  };
}

function webhookJson(request: FastifyRequest, w: ConversationWebhook) {
  return {
    sid: w.sid,
    account_sid: w.account_sid,
    conversation_sid: w.conversation_sid,
    target: w.target,
    url: `${origin(request)}${V1}/${w.conversation_sid}/Webhooks/${w.sid}`,
    configuration: {
      url: w.url,
      method: w.method,
      filters: JSON.parse(w.filters) as string[],
      triggers: JSON.parse(w.triggers) as string[],
      flow_sid: w.flow_sid,
      replay_after: w.replay_after,
    },
    date_created: v1Date(w.date_created),
    date_updated: v1Date(w.date_updated),
  };
}
