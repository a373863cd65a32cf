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
  /**
   * For the `worker` and `task` scopes, a necessary condition read off the expression: it can be true
   * only for attributes that satisfy one of these keys. An empty list when it is never true;
   * `undefined` when the expression names no such condition (`level > 3`, `NOT …`, `1 == 1`). An
   * index of these keys finds the few queues a worker may belong to without testing every queue.
   */
  readonly keys: readonly AttributeKey[] | undefined;
  test(context: EvaluationContext): boolean;
}

/**
 * A condition on one attribute: `has` holds when the value at `path` is a list containing `value`;
 * `equals` when it is the scalar `value` itself (a missing path reads as null).
 */
export interface AttributeKey {
  readonly path: ReadonlyArray<string | number>;
  /** The path as one string, to group keys by path. */
  readonly pathText: string;
  readonly test: "has" | "equals";
  readonly value: Scalar;
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
  const tree = parseExpression(source);
  const { evaluate, constant } = compiler.node(tree);
  const keys = scope === "worker" || scope === "task" ? keysOf(tree) : undefined;
  return { source, scope, constant, usesTime: compiler.usesTime, keys, test: evaluate };
}

/** Reads an attribute the way expressions do: anything missing is null. */
export function readAttribute(
  attributes: Attributes | undefined,
  path: ReadonlyArray<string | number>,
): unknown {
  return walk(attributes, path);
}

/**
 * The keys one of which holds whenever `node` is true (see `CompiledExpression.keys`). Sound by
 * construction: a comparison gives keys only for forms whose operator semantics imply them; AND may
 * use either side's keys; OR needs keys on both sides and takes them all.
 */
function keysOf(node: ExpressionNode): AttributeKey[] | undefined {
  switch (node.kind) {
    case "and": {
      const left = keysOf(node.left);
      const right = keysOf(node.right);
      if (left === undefined || right === undefined) return left ?? right;
      return left.length <= right.length ? left : right;
    }
    case "or": {
      const left = keysOf(node.left);
      const right = keysOf(node.right);
      return left === undefined || right === undefined ? undefined : [...left, ...right];
    }
    case "not":
      return undefined;
    case "compare":
      return compareKeys(node);
  }
}

function compareKeys(node: Extract<ExpressionNode, { kind: "compare" }>): AttributeKey[] | undefined {
  const { operator, left, right } = node;
  if (left.kind !== "path" && right.kind !== "path") {
    // Constant: false constrains everything (nothing matches); true constrains nothing.
    const value = (operand: typeof left) => (operand.kind === "literal" ? operand.value : operand.values);
    return OPERATORS[operator](value(left), value(right)) ? undefined : [];
  }
  const key = (path: Extract<Operand, { kind: "path" }>, test: AttributeKey["test"], value: Scalar) => ({
    path: path.segments,
    pathText: JSON.stringify(path.segments),
    test,
    value,
  });
  if (left.kind === "path" && isTime(left)) return undefined;
  if (right.kind === "path" && isTime(right)) return undefined;
  if (operator === "==") {
    if (left.kind === "path" && right.kind === "literal") return [key(left, "equals", right.value)];
    if (right.kind === "path" && left.kind === "literal") return [key(right, "equals", left.value)];
  }
  if (operator === "HAS" && left.kind === "path" && right.kind === "literal")
    return [key(left, "has", right.value)];
  if (operator === "IN") {
    if (left.kind === "path" && right.kind === "list") return right.values.map((v) => key(left, "equals", v));
    if (right.kind === "path" && left.kind === "literal") return [key(right, "has", left.value)];
  }
  return undefined;
}

function isTime(path: Extract<Operand, { kind: "path" }>): boolean {
  const [head, name, ...more] = path.segments;
  return head === "taskrouter" && typeof name === "string" && name in TIME_VALUES && more.length === 0;
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

/** True for the values expressions compare: strings, numbers, booleans and null. */
export const isScalar = (v: unknown): v is Scalar =>
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
