import {
  isScalar,
  readAttribute,
  type CompiledExpression,
  type EvaluationContext,
  type Scalar,
} from "../expressions/index.ts";

/** The filters keyed on one attribute path, by the key's value, each list in filter order. */
interface PathFilters {
  readonly path: ReadonlyArray<string | number>;
  /** Filters with a `has` key on this path: they may match when the value is a list holding the key. */
  readonly has: Map<Scalar, number[]>;
  /** Filters with an `equals` key on this path: they may match when the value is the key. */
  readonly equals: Map<Scalar, number[]>;
}

/**
 * A workflow's filters by the keys of their expressions (see `CompiledExpression.keys`), so that a
 * task is tested against the filters it may match rather than against each in turn. Workflows are
 * mostly filters of the form `skill == '…'` or `languages HAS '…'`: with ten such, a new task was
 * tested five times on average; now once.
 *
 * The keys are read as `QueueKeys` reads them for queues (a `has` key by the items of a list, an
 * `equals` key by a scalar); a change to what keys mean changes both. The two differ in what they
 * hand back: here filter numbers in order, merged without allocating, as a workflow is consulted on
 * every new task; there a set of queues, as membership changes only with a worker's attributes.
 *
 * Invariant: `firstMatch` returns what testing every filter from `from` on, in order, would. A filter
 * it does not test has keys, none of which the attributes satisfy; keys are a necessary condition,
 * so that filter's expression is false. The others it tests in filter order.
 */
export class FilterIndex {
  /** Filters without keys, tested whatever the attributes. */
  private readonly unkeyed: number[] = [];
  private readonly paths: PathFilters[];
  // Scratch for `firstMatch`, reused so that a call allocates nothing: the candidate lists that
  // apply, and how far into each the merge has come.
  private readonly lists: number[][] = [];
  private readonly positions: number[] = [];

  constructor(private readonly expressions: readonly CompiledExpression[]) {
    const byPath = new Map<string, PathFilters>();
    expressions.forEach((expression, filter) => {
      if (expression.keys === undefined) {
        this.unkeyed.push(filter);
        return;
      }
      for (const key of expression.keys) {
        let filters = byPath.get(key.pathText);
        if (!filters)
          byPath.set(key.pathText, (filters = { path: key.path, has: new Map(), equals: new Map() }));
        const byValue = key.test === "has" ? filters.has : filters.equals;
        const list = byValue.get(key.value);
        // Filters are visited in order, so each list stays sorted; a filter with two keys of the same
        // value and test is listed once.
        if (!list) byValue.set(key.value, [filter]);
        else if (list[list.length - 1] !== filter) list.push(filter);
      }
    });
    this.paths = [...byPath.values()];
  }

  /** The index of the first filter, from `from` on, whose expression holds in `context`; -1 if none. */
  firstMatch(context: EvaluationContext, from: number): number {
    const { lists, positions } = this;
    // The first `count` of `lists` apply (a count, as setting an array's length calls the runtime).
    let count = 0;
    if (this.unkeyed.length > 0) lists[count++] = this.unkeyed;
    for (const { path, has, equals } of this.paths) {
      const value = readAttribute(context.task, path);
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          const list = isScalar(item) ? has.get(item) : undefined;
          if (list) lists[count++] = list;
        }
      } else if (isScalar(value)) {
        const list = equals.get(value);
        if (list) lists[count++] = list;
      }
    }
    for (let i = 0; i < count; i++) {
      const list = lists[i]!;
      let position = 0;
      while (position < list.length && list[position]! < from) position++;
      positions[i] = position;
    }
    // Merge the sorted lists, testing candidates in filter order; a filter under several keys comes
    // up once from each of its lists, one after the other, and is tested once.
    let tested = -1;
    for (;;) {
      let next = -1;
      let source = -1;
      for (let i = 0; i < count; i++) {
        const list = lists[i]!;
        const position = positions[i]!;
        if (position < list.length && (next < 0 || list[position]! < next)) {
          next = list[position]!;
          source = i;
        }
      }
      if (next < 0) return -1;
      positions[source] = positions[source]! + 1;
      if (next === tested) continue;
      tested = next;
      if (this.expressions[next]!.test(context)) return next;
    }
  }
}
