import {
  ExpressionError,
  parseExpression,
  type ExpressionNode,
  type Operand,
  type Operator,
  type Scalar,
} from "./syntax.ts";

/** Attributes as TaskRouter keeps them: a parsed JSON object. */
export type Attributes = Readonly<Record<string, unknown>>;

/** What `worker.` can reach in a target expression, besides the worker's attributes. */
export interface WorkerFacts {
  sid: string;
  friendlyName: string;
  activitySid: string;
  activityName: string;
  attributes: Attributes;
}

/** Counts of a queue's workers, for `skip_if` (`workers.available`, `workers.WA…`). */
export interface QueuePopulation {
  available: number;
  unavailable: number;
  byActivity: Readonly<Record<string, number>>;
}

export interface EvaluationContext {
  /** Milliseconds since the epoch, for the `taskrouter.*` time values (UTC). */
  now: number;
  task?: Attributes;
  worker?: WorkerFacts;
  workers?: QueuePopulation;
}

/**
 * Where an expression is used decides what its paths mean:
 * - `worker`: a TaskQueue's TargetWorkers; bare paths are worker attributes.
 * - `task`: a workflow filter (and task searches); bare paths are task attributes.
 * - `target`: a routing step's worker expression; paths start with `task.` or `worker.`.
 * - `skip`: a routing step's skip_if; paths are `workers.available`, `workers.unavailable`, `workers.WA…`.
 * `taskrouter.currentTime|currentHour|currentMin|dayOfWeek` work everywhere.
 */
export type ExpressionScope = "worker" | "task" | "target" | "skip";

export interface CompiledExpression {
  readonly source: string;
  readonly scope: ExpressionScope;
  /** Set when the result never depends on its inputs (`1==1`, `1 == 0`). */
  readonly constant: boolean | undefined;
  /** True when the result depends on the time of day. */
  readonly usesTime: boolean;
  test(context: EvaluationContext): boolean;
}

type Value = unknown;
type Evaluate = (context: EvaluationContext) => boolean;
type Read = (context: EvaluationContext) => Value;

const WORKER_FACTS: Record<string, keyof WorkerFacts> = {
  sid: "sid",
  friendly_name: "friendlyName",
  activity_sid: "activitySid",
  activity_name: "activityName",
};
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const TIME_VALUES: Record<string, (now: number) => Scalar> = {
  currentTime: (now) => {
    const d = new Date(now);
    return d.getUTCHours() * 100 + d.getUTCMinutes();
  },
  currentHour: (now) => new Date(now).getUTCHours(),
  currentMin: (now) => new Date(now).getUTCMinutes(),
  dayOfWeek: (now) => DAYS[new Date(now).getUTCDay()]!,
};

/** Parses and compiles once; the result is a plain closure tree, cheap to call per worker and task. */
export function compileExpression(source: string, scope: ExpressionScope): CompiledExpression {
  const compiler = new Compiler(source, scope);
  const { evaluate, constant } = compiler.node(parseExpression(source));
  return { source, scope, constant, usesTime: compiler.usesTime, test: evaluate };
}

class Compiler {
  usesTime = false;
  constructor(
    private readonly source: string,
    private readonly scope: ExpressionScope,
  ) {}

  node(node: ExpressionNode): { evaluate: Evaluate; constant: boolean | undefined } {
    switch (node.kind) {
      case "and":
      case "or": {
        const left = this.node(node.left);
        const right = this.node(node.right);
        const isAnd = node.kind === "and";
        // Fold what is known: `x AND false` is false, `x OR true` is true, `x AND true` is x.
        for (const [known, other] of [
          [left, right],
          [right, left],
        ] as const) {
          if (known.constant === undefined) continue;
          if (known.constant === !isAnd) return fixed(!isAnd);
          return other;
        }
        const [l, r] = [left.evaluate, right.evaluate];
        return { evaluate: isAnd ? (c) => l(c) && r(c) : (c) => l(c) || r(c), constant: undefined };
      }
      case "not": {
        const inner = this.node(node.operand);
        if (inner.constant !== undefined) return fixed(!inner.constant);
        const e = inner.evaluate;
        return { evaluate: (c) => !e(c), constant: undefined };
      }
      case "compare": {
        const left = this.operand(node.left);
        const right = this.operand(node.right);
        const test = OPERATORS[node.operator];
        if (left.fixed && right.fixed) return fixed(test(left.read(EMPTY), right.read(EMPTY)));
        const [l, r] = [left.read, right.read];
        return { evaluate: (c) => test(l(c), r(c)), constant: undefined };
      }
    }
  }

  private operand(operand: Operand): { read: Read; fixed: boolean } {
    if (operand.kind === "literal") {
      const value = operand.value;
      return { read: () => value, fixed: true };
    }
    if (operand.kind === "list") {
      const values = operand.values;
      return { read: () => values, fixed: true };
    }
    return { read: this.path(operand), fixed: false };
  }

  private path(operand: Extract<Operand, { kind: "path" }>): Read {
    const [head, ...rest] = operand.segments as [string, ...Array<string | number>];
    if (head === "taskrouter" && rest.length === 1 && typeof rest[0] === "string" && rest[0] in TIME_VALUES) {
      this.usesTime = true;
      const time = TIME_VALUES[rest[0]]!;
      return (c) => time(c.now);
    }
    switch (this.scope) {
      case "worker":
        return (c) => walk(c.worker?.attributes, operand.segments);
      case "task":
        return (c) => walk(c.task, operand.segments);
      case "target": {
        if (head === "task") return (c) => walk(c.task, rest);
        if (head === "worker") {
          const fact = typeof rest[0] === "string" && rest.length === 1 ? WORKER_FACTS[rest[0]] : undefined;
          if (fact) return (c) => c.worker?.[fact] ?? null;
          return (c) => walk(c.worker?.attributes, rest);
        }
        throw new ExpressionError(
          this.source,
          operand.position,
          "a path starting with task. or worker.",
          `'${operand.text}'`,
        );
      }
      case "skip": {
        if (head === "workers" && rest.length === 1 && typeof rest[0] === "string") {
          const name = rest[0];
          if (name === "available" || name === "unavailable") return (c) => c.workers?.[name] ?? 0;
          return (c) => c.workers?.byActivity[name] ?? 0;
        }
        throw new ExpressionError(
          this.source,
          operand.position,
          "workers.available, workers.unavailable or workers.<activity SID>",
          `'${operand.text}'`,
        );
      }
    }
  }
}

const EMPTY: EvaluationContext = { now: 0 };

function fixed(value: boolean) {
  return { evaluate: () => value, constant: value };
}

/** Follows a path into JSON; anything missing is null. Own properties only, never the prototype. */
function walk(root: unknown, segments: ReadonlyArray<string | number>): Value {
  let value: unknown = root;
  for (const segment of segments) {
    if (value === null || typeof value !== "object") return null;
    if (typeof segment === "number") {
      if (!Array.isArray(value)) return null;
      value = value[segment];
    } else {
      if (Array.isArray(value) || !Object.hasOwn(value, segment)) return null;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value === undefined ? null : value;
}

const isScalar = (v: Value): v is Scalar =>
  v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/** Ordering compares numbers with numbers and strings with strings; anything else is false. */
function ordered(l: Value, r: Value, test: (a: number | string, b: number | string) => boolean): boolean {
  if (typeof l === "number" && typeof r === "number") return test(l, r);
  if (typeof l === "string" && typeof r === "string") return test(l, r);
  return false;
}

/**
 * Operator semantics as Twilio documents them: scalar operators on an array, or list operators on
 * two scalars, are false; values of different types are never equal; a missing key is null.
 */
const OPERATORS: Record<Operator, (l: Value, r: Value) => boolean> = {
  "==": (l, r) => isScalar(l) && isScalar(r) && l === r,
  "!=": (l, r) => isScalar(l) && isScalar(r) && l !== r,
  "<": (l, r) => ordered(l, r, (a, b) => a < b),
  "<=": (l, r) => ordered(l, r, (a, b) => a <= b),
  ">": (l, r) => ordered(l, r, (a, b) => a > b),
  ">=": (l, r) => ordered(l, r, (a, b) => a >= b),
  CONTAINS: (l, r) => typeof l === "string" && typeof r === "string" && l.includes(r),
  HAS: (l, r) => Array.isArray(l) && isScalar(r) && l.includes(r),
  IN: (l, r) => isScalar(l) && Array.isArray(r) && r.includes(l),
  "NOT IN": (l, r) => isScalar(l) && Array.isArray(r) && !r.includes(l),
};
