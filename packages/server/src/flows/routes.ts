import { checkFlow, type FlowCheck, type Templates } from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ApiError, invalidParameter, notFound } from "../platform/errors.ts";
import { origin, pageRequest, pagingQuery, v1List } from "../platform/http/paging.ts";
import type { HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import type { Execution, ExecutionStep, ExecutionStore } from "./executions.ts";
import type { FlowRunner } from "./runner.ts";
import type { Flow, FlowRevision, FlowStore, RevisionRef } from "./store.ts";

const FLOWS = "/v2/Flows";
const tags = ["Studio"];
const status = z.enum(["draft", "published"]);

/** A JSON parameter (Definition, Parameters): the SDKs send it as text in the form body. */
const jsonText = (name: string) =>
  z.string().transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: "custom", message: `${name} must be valid JSON` });
      return z.NEVER;
    }
  });

const saveBody = {
  FriendlyName: z.string().min(1).max(256),
  Status: status,
  Definition: jsonText("Definition"),
  CommitMessage: z.string().max(1024).optional(),
};

/** Studio's answer to an invalid definition: each error with where it is. */
export function invalidDefinition(check: FlowCheck): ApiError {
  const first = check.errors[0];
  return new ApiError(
    400,
    20001,
    `Invalid Flow definition: ${first ? `${first.message} (${first.property_path})` : "see details"}`,
    "caller",
    {},
    { errors: check.errors, warnings: check.warnings },
  );
}

/**
 * Studio v2 on Twilio's paths: Flows with revisions, draft or published; FlowValidate; test users;
 * Executions started through the API (the REST trigger), ended through it, with their context and
 * steps. Every query is scoped to the caller's account.
 */
export function flowRoutes(
  app: HttpServer,
  flows: FlowStore,
  executions: ExecutionStore,
  runner: FlowRunner,
  templates: Templates,
): void {
  const missing = (request: FastifyRequest) =>
    notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
  const flowOf = async (request: FastifyRequest, sid: string) => {
    const flow = await flows.get(request.principal.accountSid, sid);
    if (!flow) throw missing(request);
    return flow;
  };
  /** A definition checked for saving: a draft may be invalid (it says so), a published flow may not. */
  const checked = (definition: unknown, saveStatus: "draft" | "published") => {
    const check = checkFlow(definition, templates);
    if (check.definition === undefined || (saveStatus === "published" && check.errors.length > 0))
      throw invalidDefinition(check);
    return check;
  };

  app.post(
    FLOWS,
    { schema: { tags, summary: "Create a flow", body: z.object(saveBody) } },
    async (request, reply) => {
      const body = request.body;
      const flow = await flows.create(request.principal.accountSid, {
        friendlyName: body.FriendlyName,
        status: body.Status,
        check: checked(body.Definition, body.Status),
        commitMessage: body.CommitMessage,
      });
      return reply.code(201).send(flowJson(request, flow));
    },
  );

  app.get(FLOWS, { schema: { tags, summary: "List flows", querystring: pagingQuery } }, async (request) => {
    const page = pageRequest(request.query);
    const result = await flows.list(request.principal.accountSid, page);
    return v1List(request, "flows", page, {
      ...result,
      items: result.items.map((f) => flowJson(request, f)),
    });
  });

  app.post(
    `${FLOWS}/Validate`,
    { schema: { tags, summary: "Validate a flow definition", body: z.object(saveBody) } },
    (request, reply) => {
      const check = checkFlow(request.body.Definition, templates);
      if (check.errors.length > 0) throw invalidDefinition(check);
      return reply.send({ valid: true });
    },
  );

  const flowParams = z.object({ Sid: z.string() });

  app.get(
    `${FLOWS}/:Sid`,
    { schema: { tags, summary: "Fetch a flow", params: flowParams } },
    async (request) => flowJson(request, await flowOf(request, request.params.Sid)),
  );

  app.post(
    `${FLOWS}/:Sid`,
    {
      schema: {
        tags,
        summary: "Save a new revision of a flow",
        params: flowParams,
        body: z.object({
          Status: status,
          FriendlyName: saveBody.FriendlyName.optional(),
          Definition: saveBody.Definition.optional(),
          CommitMessage: saveBody.CommitMessage,
        }),
      },
    },
    async (request) => {
      const body = request.body;
      const current = await flowOf(request, request.params.Sid);
      const check =
        body.Definition !== undefined
          ? checked(body.Definition, body.Status)
          : body.Status === "published" && current.valid !== 1
            ? checked(JSON.parse(current.definition), "published")
            : undefined;
      const flow = await flows.update(request.principal.accountSid, current.sid, {
        status: body.Status,
        friendlyName: body.FriendlyName,
        check,
        commitMessage: body.CommitMessage,
      });
      if (!flow) throw missing(request);
      return flowJson(request, flow);
    },
  );

  app.delete(
    `${FLOWS}/:Sid`,
    { schema: { tags, summary: "Delete a flow, its revisions and executions", params: flowParams } },
    async (request, reply) => {
      if (!(await flows.remove(request.principal.accountSid, request.params.Sid))) throw missing(request);
      return reply.code(204).send();
    },
  );

  app.get(
    `${FLOWS}/:Sid/Revisions`,
    { schema: { tags, summary: "List a flow's revisions", params: flowParams, querystring: pagingQuery } },
    async (request) => {
      const flow = await flowOf(request, request.params.Sid);
      const page = pageRequest(request.query);
      const result = await flows.revisions(request.principal.accountSid, flow.sid, page);
      return v1List(request, "revisions", page, {
        ...result,
        items: result.items.map((r) => revisionJson(request, r)),
      });
    },
  );

  app.get(
    `${FLOWS}/:Sid/Revisions/:Revision`,
    {
      schema: {
        tags,
        summary: "Fetch a revision (a number, LatestPublished or LatestRevision)",
        params: z.object({
          Sid: z.string(),
          Revision: z.union([z.enum(["LatestPublished", "LatestRevision"]), z.coerce.number().int().min(1)]),
        }),
      },
    },
    async (request) => {
      const flow = await flowOf(request, request.params.Sid);
      const ref: RevisionRef = request.params.Revision;
      const revision = await flows.revision(request.principal.accountSid, flow.sid, ref);
      if (!revision) throw missing(request);
      return revisionJson(request, revision);
    },
  );

  app.get(
    `${FLOWS}/:Sid/TestUsers`,
    { schema: { tags, summary: "Who runs a flow's latest revision", params: flowParams } },
    async (request) => testUsersJson(request, await flowOf(request, request.params.Sid)),
  );

  app.post(
    `${FLOWS}/:Sid/TestUsers`,
    {
      schema: {
        tags,
        summary: "Set who runs a flow's latest revision, draft or not",
        params: flowParams,
        body: z.object({
          TestUsers: z.union([z.string().min(1), z.array(z.string().min(1)).max(100)]),
        }),
      },
    },
    async (request) => {
      const users = [request.body.TestUsers].flat();
      const flow = await flows.setTestUsers(request.principal.accountSid, request.params.Sid, users);
      if (!flow) throw missing(request);
      return testUsersJson(request, flow);
    },
  );

  // ------------------------------------------------------------------------------------------
  // Executions

  const executionParams = z.object({ FlowSid: z.string(), Sid: z.string() });
  const executionOf = async (request: FastifyRequest, flowSid: string, sid: string) => {
    const execution = await executions.get(request.principal.accountSid, flowSid, sid);
    if (!execution) throw missing(request);
    return execution;
  };

  app.post(
    `${FLOWS}/:FlowSid/Executions`,
    {
      schema: {
        tags,
        summary: "Start an execution (the REST API trigger)",
        params: z.object({ FlowSid: z.string() }),
        body: z.object({
          To: z.string().min(1).max(320),
          From: z.string().min(1).max(320),
          Parameters: jsonText("Parameters").optional(),
        }),
      },
    },
    async (request, reply) => {
      const flow = await flowOf(request, request.params.FlowSid);
      const parameters = request.body.Parameters ?? {};
      if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters))
        throw invalidParameter("Parameters must be a JSON object");
      const execution = await runner.startRequested(request.principal.accountSid, flow, {
        to: request.body.To,
        from: request.body.From,
        parameters: parameters as Record<string, unknown>,
        initiatedBy: request.principal.apiKeySid ?? request.principal.accountSid,
      });
      return reply.code(201).send(executionJson(request, execution));
    },
  );

  app.get(
    `${FLOWS}/:FlowSid/Executions`,
    {
      schema: {
        tags,
        summary: "List a flow's executions, newest first",
        params: z.object({ FlowSid: z.string() }),
        querystring: pagingQuery.extend({
          DateCreatedFrom: z.iso.datetime({ offset: true }).optional(),
          DateCreatedTo: z.iso.datetime({ offset: true }).optional(),
        }),
      },
    },
    async (request) => {
      const flow = await flowOf(request, request.params.FlowSid);
      const page = pageRequest(request.query);
      const at = (value: string | undefined) => value && new Date(value).toISOString();
      const result = await executions.list(
        request.principal.accountSid,
        flow.sid,
        { from: at(request.query.DateCreatedFrom), to: at(request.query.DateCreatedTo) },
        page,
      );
      return v1List(request, "executions", page, {
        ...result,
        items: result.items.map((e) => executionJson(request, e)),
      });
    },
  );

  app.get(
    `${FLOWS}/:FlowSid/Executions/:Sid`,
    { schema: { tags, summary: "Fetch an execution", params: executionParams } },
    async (request) =>
      executionJson(request, await executionOf(request, request.params.FlowSid, request.params.Sid)),
  );

  app.post(
    `${FLOWS}/:FlowSid/Executions/:Sid`,
    {
      schema: {
        tags,
        summary: "End an execution",
        params: executionParams,
        body: z.object({ Status: z.literal("ended", { message: "Status can only be ended" }) }),
      },
    },
    async (request) => {
      const ended = await runner.end(
        request.principal.accountSid,
        request.params.FlowSid,
        request.params.Sid,
      );
      if (!ended) throw missing(request);
      return executionJson(request, ended);
    },
  );

  app.delete(
    `${FLOWS}/:FlowSid/Executions/:Sid`,
    { schema: { tags, summary: "Delete an execution and its steps", params: executionParams } },
    async (request, reply) => {
      const { FlowSid, Sid } = request.params;
      if (!(await executions.remove(request.principal.accountSid, FlowSid, Sid))) throw missing(request);
      return reply.code(204).send();
    },
  );

  const contextParams = z.object({ FlowSid: z.string(), ExecutionSid: z.string() });

  app.get(
    `${FLOWS}/:FlowSid/Executions/:ExecutionSid/Context`,
    { schema: { tags, summary: "An execution's context (what its templates see)", params: contextParams } },
    async (request) => {
      const execution = await executionOf(request, request.params.FlowSid, request.params.ExecutionSid);
      return {
        account_sid: execution.account_sid,
        context: contextOf(execution),
        flow_sid: execution.flow_sid,
        execution_sid: execution.sid,
        url: `${executionUrl(request, execution)}/Context`,
      };
    },
  );

  app.get(
    `${FLOWS}/:FlowSid/Executions/:ExecutionSid/Steps`,
    {
      schema: {
        tags,
        summary: "An execution's steps, in order",
        params: contextParams,
        querystring: pagingQuery,
      },
    },
    async (request) => {
      const execution = await executionOf(request, request.params.FlowSid, request.params.ExecutionSid);
      const page = pageRequest(request.query);
      const result = await executions.steps(request.principal.accountSid, execution.sid, page);
      return v1List(request, "steps", page, {
        ...result,
        items: result.items.map((s) => stepJson(request, execution, s)),
      });
    },
  );

  const stepOf = async (
    request: FastifyRequest,
    params: { FlowSid: string; ExecutionSid: string; Sid: string },
  ) => {
    const execution = await executionOf(request, params.FlowSid, params.ExecutionSid);
    const step = await executions.step(request.principal.accountSid, execution.sid, params.Sid);
    if (!step) throw missing(request);
    return { execution, step };
  };
  const stepParams = contextParams.extend({ Sid: z.string() });

  app.get(
    `${FLOWS}/:FlowSid/Executions/:ExecutionSid/Steps/:Sid`,
    { schema: { tags, summary: "Fetch a step", params: stepParams } },
    async (request) => {
      const { execution, step } = await stepOf(request, request.params);
      return stepJson(request, execution, step);
    },
  );

  app.get(
    `${FLOWS}/:FlowSid/Executions/:ExecutionSid/Steps/:Sid/Context`,
    { schema: { tags, summary: "What a step's widget produced", params: stepParams } },
    async (request) => {
      const { execution, step } = await stepOf(request, request.params);
      return {
        account_sid: step.account_sid,
        context: JSON.parse(step.context) as unknown,
        execution_sid: execution.sid,
        flow_sid: execution.flow_sid,
        step_sid: step.sid,
        url: `${executionUrl(request, execution)}/Steps/${step.sid}/Context`,
      };
    },
  );
}

function flowUrl(request: FastifyRequest, sid: string): string {
  return `${origin(request)}${FLOWS}/${sid}`;
}

function revisionFields(r: Flow | FlowRevision) {
  return {
    account_sid: r.account_sid,
    author_sid: null,
    friendly_name: r.friendly_name,
    definition: JSON.parse(r.definition) as unknown,
    status: r.status,
    revision: r.revision,
    commit_message: r.commit_message,
    valid: r.valid === 1,
    errors: JSON.parse(r.errors) as unknown,
    date_created: iso8601(r.date_created),
    date_updated: iso8601(r.date_updated),
  };
}

/**
 * `webhook_url` is null: Twilio's is where a phone number's webhook points. Here messages reach a
 * flow through the address configuration bound to it, and the REST API starts executions.
 */
function flowJson(request: FastifyRequest, flow: Flow) {
  const url = flowUrl(request, flow.sid);
  return {
    sid: flow.sid,
    ...revisionFields(flow),
    warnings: JSON.parse(flow.warnings) as unknown,
    webhook_url: null,
    url,
    links: { test_users: `${url}/TestUsers`, revisions: `${url}/Revisions`, executions: `${url}/Executions` },
  };
}

function revisionJson(request: FastifyRequest, revision: FlowRevision) {
  return {
    sid: revision.flow_sid,
    ...revisionFields(revision),
    url: `${flowUrl(request, revision.flow_sid)}/Revisions/${revision.revision}`,
  };
}

function testUsersJson(request: FastifyRequest, flow: Flow) {
  return {
    sid: flow.sid,
    test_users: JSON.parse(flow.test_users) as unknown,
    url: `${flowUrl(request, flow.sid)}/TestUsers`,
  };
}

function executionUrl(request: FastifyRequest, execution: Execution): string {
  return `${flowUrl(request, execution.flow_sid)}/Executions/${execution.sid}`;
}

function contextOf(execution: Execution): unknown {
  return (JSON.parse(execution.state) as { context: unknown }).context;
}

/** Twilio's execution, plus `ended_reason`: why it ended, when not by reaching its end. */
function executionJson(request: FastifyRequest, e: Execution) {
  const url = executionUrl(request, e);
  return {
    sid: e.sid,
    account_sid: e.account_sid,
    flow_sid: e.flow_sid,
    contact_sid: e.contact_sid,
    contact_channel_address: e.contact_channel_address,
    context: contextOf(e),
    flow_version: e.flow_revision,
    status: e.status,
    ended_reason: e.ended_reason,
    initiated_by: e.initiated_by,
    date_created: iso8601(e.date_created),
    date_updated: iso8601(e.date_updated),
    url,
    links: { steps: `${url}/Steps`, execution_context: `${url}/Context` },
  };
}

function stepJson(request: FastifyRequest, execution: Execution, s: ExecutionStep) {
  const url = `${executionUrl(request, execution)}/Steps/${s.sid}`;
  return {
    sid: s.sid,
    account_sid: s.account_sid,
    flow_sid: s.flow_sid,
    execution_sid: s.execution_sid,
    parent_step_sid: null,
    name: s.name,
    context: JSON.parse(s.context) as unknown,
    transitioned_from: s.transitioned_from,
    transitioned_to: s.transitioned_to,
    type: s.type,
    date_created: iso8601(s.date_created),
    date_updated: iso8601(s.date_created),
    url,
    links: { step_context: `${url}/Context` },
  };
}
