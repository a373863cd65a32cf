import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { origin, pageRequest, pagingQuery, v1List } from "../platform/http/paging.ts";
import { formBoolean, httpUrl } from "../platform/http/parameters.ts";
import type { HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import type { FlowStore } from "../flows/store.ts";
import type { RoutingService } from "../routing/service.ts";
import type { Address, AddressStore, AutoCreation } from "./addresses.ts";
import { eventFilters } from "./parameters.ts";

const PATH = "/v1/Configuration/Addresses";
const tags = ["Conversations"];
const addressType = z.enum(["sms", "whatsapp", "messenger", "email", "chat", "custom"]);

/** Twilio's AutoCreation.* parameters, and Switchboard's workflow binding beside them. */
const autoCreationBody = {
  "AutoCreation.Enabled": formBoolean.optional(),
  "AutoCreation.Type": z.enum(["webhook", "studio", "default"]).optional(),
  "AutoCreation.ConversationServiceSid": z.string().optional(),
  "AutoCreation.WebhookUrl": httpUrl.optional(),
  "AutoCreation.WebhookMethod": z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.literal("POST", { message: "only POST is supported" }))
    .optional(),
  "AutoCreation.WebhookFilters": eventFilters.optional(),
  "AutoCreation.StudioFlowSid": z.string().optional(),
  "AutoCreation.StudioRetryCount": z.coerce.number().int().min(0).max(3).optional(),
  "AutoCreation.WorkspaceSid": z.string().optional(),
  "AutoCreation.WorkflowSid": z.string().optional(),
  "AutoCreation.TaskChannel": z.string().optional(),
};
type AutoCreationBody = z.infer<z.ZodObject<typeof autoCreationBody>>;

/** A binding's new value: unchanged when not given, none when given empty (to switch a flow for a workflow). */
const cleared = (given: string | undefined, current: string | null | undefined): string | null =>
  given === undefined ? (current ?? null) : given === "" ? null : given;

/**
 * Address configurations (Conversations v1 /Configuration/Addresses): for each address of ours,
 * whether a message from a stranger starts a conversation, and what the new conversation gets —
 * a scoped webhook, and (Switchboard's binding) a task on a TaskRouter workflow.
 */
export function addressRoutes(
  app: HttpServer,
  addresses: AddressStore,
  routing: RoutingService,
  flows: FlowStore,
): void {
  const missing = (request: FastifyRequest) =>
    notFound(`The requested resource ${request.url.split("?")[0]} was not found`);

  /** The configuration after applying `body` to `current`, checked as a whole. */
  const autoCreation = async (
    request: FastifyRequest,
    body: AutoCreationBody,
    current?: AutoCreation,
  ): Promise<AutoCreation> => {
    const next: AutoCreation = {
      enabled: body["AutoCreation.Enabled"] ?? current?.enabled ?? false,
      type: body["AutoCreation.Type"] ?? current?.type ?? "default",
      conversation_service_sid:
        body["AutoCreation.ConversationServiceSid"] ?? current?.conversation_service_sid ?? null,
      webhook_url: body["AutoCreation.WebhookUrl"] ?? current?.webhook_url ?? null,
      webhook_method: body["AutoCreation.WebhookMethod"] ?? current?.webhook_method ?? null,
      webhook_filters: body["AutoCreation.WebhookFilters"] ?? current?.webhook_filters ?? [],
      studio_flow_sid: cleared(body["AutoCreation.StudioFlowSid"], current?.studio_flow_sid),
      studio_retry_count: body["AutoCreation.StudioRetryCount"] ?? current?.studio_retry_count ?? null,
      workspace_sid: cleared(body["AutoCreation.WorkspaceSid"], current?.workspace_sid),
      workflow_sid: cleared(body["AutoCreation.WorkflowSid"], current?.workflow_sid),
      task_channel: cleared(body["AutoCreation.TaskChannel"], current?.task_channel),
    };
    if (next.type === "webhook" && next.webhook_url === null)
      throw invalidParameter("AutoCreation.Type webhook needs AutoCreation.WebhookUrl");
    if (next.type === "studio") {
      if (next.studio_flow_sid === null)
        throw invalidParameter("AutoCreation.Type studio needs AutoCreation.StudioFlowSid");
      const problem = await flows.bindingProblem(request.principal.accountSid, next.studio_flow_sid);
      if (problem) throw invalidParameter(`Invalid parameter AutoCreation.StudioFlowSid: ${problem}`);
      // A flow decides what happens to the conversation (its send-to-flex makes the task).
      if (next.workflow_sid !== null)
        throw invalidParameter("An address bound to a flow cannot also bind a workflow");
    }
    if ((next.workspace_sid === null) !== (next.workflow_sid === null))
      throw invalidParameter("AutoCreation.WorkspaceSid and AutoCreation.WorkflowSid go together");
    if (next.workspace_sid !== null) {
      const entry = routing.get(request.principal.accountSid, next.workspace_sid);
      if (!entry)
        throw invalidParameter(
          `Invalid parameter AutoCreation.WorkspaceSid: no workspace ${next.workspace_sid}`,
        );
      if (!entry.router.catalog.workflows.has(next.workflow_sid!))
        throw invalidParameter(
          `Invalid parameter AutoCreation.WorkflowSid: no workflow ${next.workflow_sid} in the workspace`,
        );
      if (
        next.task_channel !== null &&
        ![...entry.router.catalog.channels.values()].some(
          ({ record }) => record.sid === next.task_channel || record.uniqueName === next.task_channel,
        )
      )
        throw invalidParameter(
          `Invalid parameter AutoCreation.TaskChannel: no task channel ${next.task_channel}`,
        );
    }
    return next;
  };

  app.post(
    PATH,
    {
      schema: {
        tags,
        summary: "Configure an address",
        body: z.object({
          Type: addressType,
          Address: z.string().min(1).max(255),
          FriendlyName: z.string().max(256).optional(),
          AddressCountry: z.string().length(2).optional(),
          ...autoCreationBody,
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const address = await addresses.create(request.principal.accountSid, {
        type: body.Type,
        address: body.Address,
        friendlyName: body.FriendlyName,
        addressCountry: body.AddressCountry,
        autoCreation: await autoCreation(request, body),
      });
      return reply.code(201).send(addressJson(request, address));
    },
  );

  app.get(
    PATH,
    {
      schema: {
        tags,
        summary: "List address configurations",
        querystring: pagingQuery.extend({ Type: addressType.optional() }),
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await addresses.list(request.principal.accountSid, request.query.Type, page);
      return v1List(request, "address_configurations", page, {
        ...result,
        items: result.items.map((a) => addressJson(request, a)),
      });
    },
  );

  const sidParams = z.object({ Sid: z.string() });

  app.get(
    `${PATH}/:Sid`,
    { schema: { tags, summary: "Fetch an address configuration", params: sidParams } },
    async (request) => {
      const address = await addresses.get(request.principal.accountSid, request.params.Sid);
      if (!address) throw missing(request);
      return addressJson(request, address);
    },
  );

  app.post(
    `${PATH}/:Sid`,
    {
      schema: {
        tags,
        summary: "Change an address configuration",
        params: sidParams,
        body: z.object({ FriendlyName: z.string().max(256).optional(), ...autoCreationBody }).default({}),
      },
    },
    async (request) => {
      const current = await addresses.get(request.principal.accountSid, request.params.Sid);
      if (!current) throw missing(request);
      const updated = await addresses.update(request.principal.accountSid, current.sid, {
        friendlyName: request.body.FriendlyName,
        autoCreation: await autoCreation(request, request.body, current.auto_creation),
      });
      if (!updated) throw missing(request);
      return addressJson(request, updated);
    },
  );

  app.delete(
    `${PATH}/:Sid`,
    { schema: { tags, summary: "Delete an address configuration", params: sidParams } },
    async (request, reply) => {
      if (!(await addresses.remove(request.principal.accountSid, request.params.Sid))) throw missing(request);
      return reply.code(204).send();
    },
  );
}

function addressJson(request: FastifyRequest, a: Address) {
  return {
    sid: a.sid,
    account_sid: a.account_sid,
    type: a.type,
    address: a.address,
    friendly_name: a.friendly_name,
    auto_creation: a.auto_creation,
    date_created: iso8601(a.date_created),
    date_updated: iso8601(a.date_updated),
    url: `${origin(request)}${PATH}/${a.sid}`,
    address_country: a.address_country,
  };
}
