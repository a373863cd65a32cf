import { compileExpression, ExpressionError, type CompiledExpression } from "../expressions/index.ts";
import { FilterIndex } from "./filter-index.ts";
import { RoutingError } from "./model.ts";

/** One routing step of a filter, compiled. */
export interface Target {
  queueSid: string;
  /** Worker expression (task./worker. paths); undefined means every queue member. */
  expression: CompiledExpression | undefined;
  priority: number | undefined;
  /** Seconds in this step before moving to the next one. */
  timeout: number | undefined;
  orderBy: OrderClause[];
  skipIf: CompiledExpression | undefined;
  /** Task attribute path naming the one worker who may take the task. */
  knownWorker: { by: "sid" | "friendly_name"; path: string[] } | undefined;
}

/** A target that only names a queue (default_filter, direct routing), optionally for one known worker. */
export function queueTarget(queueSid: string, knownWorker?: Target["knownWorker"]): Target {
  return {
    queueSid,
    expression: undefined,
    priority: undefined,
    timeout: undefined,
    orderBy: [],
    skipIf: undefined,
    knownWorker,
  };
}

export interface OrderClause {
  path: string[];
  direction: "ASC" | "DESC";
}

export interface Filter {
  name: string;
  expression: CompiledExpression;
  targets: Target[];
}

export interface CompiledWorkflow {
  filters: Filter[];
  /** Finds the first filter a task matches (`FilterIndex.firstMatch`). */
  index: FilterIndex;
  defaultQueueSid: string | undefined;
}

/**
 * Reads a workflow's `{"task_routing": …}` document. Every problem is reported with the JSON path of
 * the offending part (`task_routing.filters[1].targets[0].expression: …`). Numbers written as
 * strings ("10") are accepted as in real exports; a target without `queue` inherits the previous one.
 */
export function compileWorkflow(
  configuration: string | object,
  queueExists: (sid: string) => boolean,
): CompiledWorkflow {
  let document: unknown = configuration;
  if (typeof configuration === "string") {
    try {
      document = JSON.parse(configuration);
    } catch (error) {
      throw invalid("configuration", `is not valid JSON (${(error as Error).message})`);
    }
  }
  const routing = field(document, "task_routing", "configuration");
  if (!isObject(routing)) throw invalid("task_routing", "is required and must be an object");

  const filtersValue = routing.filters ?? [];
  if (!Array.isArray(filtersValue)) throw invalid("task_routing.filters", "must be a list");
  const filters = filtersValue.map((raw, i) => compileFilter(raw, `task_routing.filters[${i}]`, queueExists));

  let defaultQueueSid: string | undefined;
  if (routing.default_filter !== undefined && routing.default_filter !== null) {
    const queue = field(routing.default_filter, "queue", "task_routing.default_filter");
    if (typeof queue !== "string")
      throw invalid("task_routing.default_filter.queue", "must be a TaskQueue SID");
    if (!queueExists(queue))
      throw invalid("task_routing.default_filter.queue", `names TaskQueue ${queue}, which does not exist`);
    defaultQueueSid = queue;
  }
  return { filters, index: new FilterIndex(filters.map((f) => f.expression)), defaultQueueSid };
}

function compileFilter(raw: unknown, path: string, queueExists: (sid: string) => boolean): Filter {
  if (!isObject(raw)) throw invalid(path, "must be an object");
  const name = raw.filter_friendly_name ?? raw.friendly_name ?? "";
  if (typeof name !== "string") throw invalid(`${path}.filter_friendly_name`, "must be a string");
  if (typeof raw.expression !== "string")
    throw invalid(`${path}.expression`, "is required and must be a string");
  const expression = expressionAt(raw.expression, "task", `${path}.expression`);
  if (!Array.isArray(raw.targets) || raw.targets.length === 0)
    throw invalid(`${path}.targets`, "must be a non-empty list");
  let inheritedQueue: string | undefined;
  const targets = raw.targets.map((target, i) => {
    const compiled = compileTarget(target, `${path}.targets[${i}]`, inheritedQueue, queueExists);
    inheritedQueue = compiled.queueSid;
    return compiled;
  });
  return { name, expression, targets };
}

function compileTarget(
  raw: unknown,
  path: string,
  inheritedQueue: string | undefined,
  queueExists: (sid: string) => boolean,
): Target {
  if (!isObject(raw)) throw invalid(path, "must be an object");
  const queueSid = raw.queue ?? inheritedQueue;
  if (typeof queueSid !== "string")
    throw invalid(`${path}.queue`, "is required on the first target of a filter");
  if (!queueExists(queueSid))
    throw invalid(`${path}.queue`, `names TaskQueue ${queueSid}, which does not exist`);
  if (raw.known_worker_sid !== undefined && raw.known_worker_friendly_name !== undefined) {
    throw invalid(path, "may set known_worker_sid or known_worker_friendly_name, not both");
  }
  const known = raw.known_worker_sid ?? raw.known_worker_friendly_name;
  let knownWorker: Target["knownWorker"];
  if (known !== undefined) {
    const key = raw.known_worker_sid !== undefined ? "known_worker_sid" : "known_worker_friendly_name";
    if (
      typeof known !== "string" ||
      !/^task\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(known)
    ) {
      throw invalid(`${path}.${key}`, "must name a task attribute, e.g. task.agent_sid");
    }
    knownWorker = {
      by: key === "known_worker_sid" ? "sid" : "friendly_name",
      path: known.split(".").slice(1),
    };
  }
  return {
    queueSid,
    expression: optionalString(raw.expression, `${path}.expression`, (s) =>
      expressionAt(s, "target", `${path}.expression`),
    ),
    priority: optionalInteger(raw.priority, `${path}.priority`, 0),
    timeout: optionalInteger(raw.timeout, `${path}.timeout`, 1),
    orderBy: optionalString(raw.order_by, `${path}.order_by`, (s) => orderBy(s, `${path}.order_by`)) ?? [],
    skipIf: optionalString(raw.skip_if, `${path}.skip_if`, (s) => expressionAt(s, "skip", `${path}.skip_if`)),
    knownWorker,
  };
}

function orderBy(source: string, path: string): OrderClause[] {
  return source.split(",").map((clause) => {
    const match =
      /^\s*worker\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\s+(ASC|DESC))?\s*$/i.exec(clause);
    if (!match)
      throw invalid(
        path,
        `clause ${JSON.stringify(clause.trim())} must look like "worker.<attribute> ASC|DESC"`,
      );
    return { path: match[1]!.split("."), direction: (match[2]?.toUpperCase() ?? "ASC") as "ASC" | "DESC" };
  });
}

function expressionAt(source: string, scope: "task" | "target" | "skip", path: string): CompiledExpression {
  try {
    return compileExpression(source, scope);
  } catch (error) {
    if (error instanceof ExpressionError) throw invalid(path, error.message);
    throw error;
  }
}

function optionalString<T>(value: unknown, path: string, then: (s: string) => T): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(path, "must be a string");
  return then(value);
}

function optionalInteger(value: unknown, path: string, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) {
    throw invalid(path, `must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function field(value: unknown, key: string, path: string): unknown {
  if (!isObject(value)) throw invalid(path, "must be an object");
  return value[key];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(path: string, problem: string): RoutingError {
  return new RoutingError("invalid", `${path}: ${problem}`);
}
