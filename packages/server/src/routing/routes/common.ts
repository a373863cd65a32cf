import {
  compileExpression,
  ExpressionError,
  RoutingError,
  type Attributes,
  type CompiledExpression,
  type ExpressionScope,
} from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { ApiError } from "../../platform/errors.ts";
import { conflict, invalidParameter, notFound } from "../../platform/errors.ts";
import { origin, pageRequest, v1List, type PagingQuery } from "../../platform/http/paging.ts";
import { iso8601, isoAt } from "../../platform/time.ts";
import type { RoutingService, Workspace } from "../service.ts";
import type { WorkspaceRouter } from "../workspace-router.ts";

export const V1 = "/v1/Workspaces";

export const workspaceParams = z.object({ WorkspaceSid: z.string() });
export const itemParams = z.object({ WorkspaceSid: z.string(), Sid: z.string() });

/** A JSON object given as a string, as TaskRouter takes Attributes. */
export const jsonObject = z.string().transform((text, context): Attributes => {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Attributes;
  } catch {
    // reported below
  }
  context.addIssue({ code: "custom", message: "must be a JSON object" });
  return z.NEVER;
});

/** v1 timestamps: ISO 8601 without milliseconds. */
export const v1Date = (ms: number | undefined) => (ms === undefined ? null : iso8601(isoAt(ms)));

/** The workspace named in the path, in the caller's account, or 404. */
export function workspaceOf(
  service: RoutingService,
  request: FastifyRequest,
): { workspace: Workspace; router: WorkspaceRouter; base: string } {
  // Every route using this declares WorkspaceSid in its params schema.
  const { WorkspaceSid } = request.params as { WorkspaceSid: string };
  const entry = service.get(request.principal.accountSid, WorkspaceSid);
  if (!entry) throw notFound(`The requested resource ${V1}/${WorkspaceSid} was not found`);
  return { ...entry, base: `${origin(request)}${V1}/${entry.workspace.sid}` };
}

/** Runs a routing command, turning the engine's refusal into the matching API error. */
export async function routed<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof RoutingError) throw apiErrorOf(error);
    throw error;
  }
}

function apiErrorOf(error: RoutingError): ApiError {
  switch (error.code) {
    case "not_found":
      return notFound(error.message);
    case "invalid":
      return invalidParameter(error.message);
    case "conflict":
      return conflict(error.message);
  }
}

export function missing(what: string, sid: string): ApiError {
  return notFound(`The requested resource ${what} ${sid} was not found`);
}

export function missingParameter(name: string): ApiError {
  return invalidParameter(`Missing required parameter ${name} in the post body`);
}

/** An expression given as a request parameter, compiled, or a 400 naming the parameter. */
export function compiledParameter(name: string, source: string, scope: ExpressionScope): CompiledExpression {
  try {
    return compileExpression(source, scope);
  } catch (error) {
    if (error instanceof ExpressionError)
      throw invalidParameter(`Invalid parameter ${name}: ${error.message}`);
    throw error;
  }
}

/** A task channel's SID from its SID or unique name (TaskRouter accepts either), or 404. */
export function channelSid(router: WorkspaceRouter, sidOrName: string): string {
  if (router.catalog.channels.has(sidOrName)) return sidOrName;
  for (const { record } of router.catalog.channels.values())
    if (record.uniqueName === sidOrName) return record.sid;
  throw missing("TaskChannel", sidOrName);
}

/**
 * A v1 list of items held in memory (the engine's and the catalog's): Twilio paging over a stable
 * order, where a PageToken carries the offset of the next page.
 */
export function listed<T, J>(request: FastifyRequest, key: string, items: T[], toJson: (item: T) => J) {
  const page = pageRequest(request.query as PagingQuery);
  const start = page.after !== undefined ? Number(page.after[0]) : page.offset;
  const slice = items.slice(start, start + page.pageSize);
  const end = start + slice.length;
  return v1List(request, key, page, {
    items: slice.map(toJson),
    nextKey: end < items.length ? [end] : undefined,
  });
}

/** A date parameter (ISO 8601) as epoch milliseconds, or a 400 naming the parameter. */
export function dateParameter(name: string, text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid parameter ${name}: expected an ISO 8601 date`);
  return ms;
}

/** How far back statistics and event lists look when the caller gives no start (TaskRouter's default). */
export const DEFAULT_WINDOW_MINUTES = 15;
