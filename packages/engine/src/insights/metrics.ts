import { FormulaError, parseFormula, type Formula, type FormulaValue } from "./formula.ts";

/**
 * Measures are what a report adds up over the facts of each row (counts and millisecond sums);
 * metrics are formulas over measures (and other metrics) evaluated on those totals. An account can
 * add metrics and redefine the standard ones; every report then uses its definitions.
 */

/** Measures summed over task segments. A segment counts in the interval in which it entered its queue. */
export const SEGMENT_MEASURES = {
  offered: "segments that entered a queue",
  handled: "segments a worker accepted",
  completed: "accepted segments that ended (handle time is known)",
  abandoned: "segments canceled before a worker accepted them, other than by a routing timeout",
  short_abandoned: "abandoned segments that waited less than the short-abandon threshold",
  timed_out: "segments that left their queue on a workflow or TTL timeout",
  transferred: "accepted segments a worker transferred",
  answered_in_sl: "segments accepted within their queue's service-level threshold",
  abandoned_in_sl: "abandoned segments that waited no longer than their queue's service-level threshold",
  wait_ms: "time handled segments waited, from entering the queue to acceptance",
  abandon_wait_ms: "time abandoned segments waited",
  ring_ms: "time the accepted reservation rang before acceptance",
  talk_ms: "time from acceptance to wrap-up (or the end) of completed segments",
  wrap_ms: "time in wrap-up of completed segments",
  reservations: "reservations offered",
  rejected: "reservations rejected",
  missed: "reservations that timed out unanswered",
} as const;

/** Measures summed over workers' time, split at 15-minute boundaries. Grouped by worker or team only. */
export const WORKER_MEASURES = {
  available_ms: "time in an available activity with no task",
  busy_ms: "time with at least one accepted task (talking or wrapping up)",
  staffed_ms: "time signed in: in any activity but Offline, or busy",
} as const;

export type SegmentMeasure = keyof typeof SEGMENT_MEASURES;
export type WorkerMeasure = keyof typeof WORKER_MEASURES;

export type MetricFormat = "count" | "percent" | "seconds" | "number";
export const METRIC_FORMATS: readonly MetricFormat[] = ["count", "percent", "seconds", "number"];

export interface MetricDefinition {
  name: string;
  formula: string;
  /** How to show the value: `percent` values are fractions (0.8 is 80 %). */
  format: MetricFormat;
  description: string;
}

export const STANDARD_METRICS: readonly MetricDefinition[] = [
  { name: "offered", formula: "offered", format: "count", description: "Segments that entered a queue" },
  { name: "handled", formula: "handled", format: "count", description: "Segments a worker accepted" },
  {
    name: "abandoned",
    formula: "abandoned",
    format: "count",
    description: "Segments canceled while waiting",
  },
  {
    name: "short_abandoned",
    formula: "short_abandoned",
    format: "count",
    description: "Abandoned under the short-abandon threshold",
  },
  {
    name: "abandon_rate",
    formula: "abandoned / offered",
    format: "percent",
    description: "Abandoned out of offered",
  },
  {
    name: "service_level",
    formula: "answered_in_sl / offered",
    format: "percent",
    description: "Accepted within the queue's threshold, out of offered",
  },
  {
    name: "average_speed_of_answer",
    formula: "wait_ms / handled / 1000",
    format: "seconds",
    description: "Average wait until accepted",
  },
  {
    name: "average_handle_time",
    formula: "(talk_ms + wrap_ms) / completed / 1000",
    format: "seconds",
    description: "Average talk or chat time plus wrap-up",
  },
  {
    name: "average_wrap_time",
    formula: "wrap_ms / completed / 1000",
    format: "seconds",
    description: "Average wrap-up",
  },
  {
    name: "occupancy",
    formula: "busy_ms / (busy_ms + available_ms)",
    format: "percent",
    description: "Time busy out of time busy or available",
  },
  {
    name: "utilization",
    formula: "busy_ms / staffed_ms",
    format: "percent",
    description: "Time busy out of time signed in",
  },
  {
    name: "transfers",
    formula: "transferred",
    format: "count",
    description: "Accepted segments transferred",
  },
  {
    name: "timed_out",
    formula: "timed_out",
    format: "count",
    description: "Segments that timed out of a queue",
  },
];

export const METRIC_NAME = /^[a-z][a-z0-9_]{0,47}$/;

/** The account's view of metrics: the standard ones, its redefinitions and additions, and its custom measures. */
export class MetricCatalog {
  private readonly definitions = new Map<string, MetricDefinition>();
  private readonly formulas = new Map<string, Formula>();
  private readonly measures: ReadonlySet<string>;

  /**
   * @param customMeasures the account's custom numeric measures: each gives `<name>` (the sum) and
   *   `<name>_count` (how many segments had a value).
   * @throws FormulaError / MetricError when a definition does not parse, names something unknown or
   *   depends on itself.
   */
  constructor(definitions: readonly MetricDefinition[], customMeasures: readonly string[] = []) {
    this.measures = new Set([
      ...Object.keys(SEGMENT_MEASURES),
      ...Object.keys(WORKER_MEASURES),
      ...customMeasures.flatMap((name) => [name, `${name}_count`]),
    ]);
    for (const definition of [...STANDARD_METRICS, ...definitions]) {
      this.definitions.set(definition.name, definition);
    }
    for (const definition of this.definitions.values()) {
      try {
        this.formulas.set(definition.name, parseFormula(definition.formula));
      } catch (error) {
        if (error instanceof FormulaError) throw new MetricError(definition.name, error.message);
        throw error;
      }
    }
    for (const name of this.definitions.keys()) this.measuresOf(name, []);
  }

  /** Whether `name` is a measure (in a formula, a measure's name wins over a metric's). */
  isMeasure(name: string): boolean {
    return this.measures.has(name);
  }

  list(): MetricDefinition[] {
    return [...this.definitions.values()];
  }

  get(name: string): MetricDefinition | undefined {
    return this.definitions.get(name);
  }

  /** The measures `metric` needs, through the metrics it uses. */
  measuresOf(metric: string, path: string[] = []): Set<string> {
    if (path.includes(metric))
      throw new MetricError(path[0]!, `depends on itself through ${[...path, metric].join(" → ")}`);
    const formula = this.formulas.get(metric);
    if (!formula) throw new MetricError(metric, "is not a metric");
    const needed = new Set<string>();
    for (const name of formula.names) {
      if (this.measures.has(name)) needed.add(name);
      else if (this.formulas.has(name))
        for (const m of this.measuresOf(name, [...path, metric])) needed.add(m);
      else
        throw new MetricError(path[0] ?? metric, `uses "${name}", which is neither a measure nor a metric`);
    }
    return needed;
  }

  /** The metric's value for a row's measure totals (absent measures are 0). */
  evaluate(metric: string, totals: Readonly<Record<string, number>>): FormulaValue {
    const formula = this.formulas.get(metric);
    if (!formula) throw new MetricError(metric, "is not a metric");
    const value = formula.evaluate((name) =>
      this.measures.has(name) ? (totals[name] ?? 0) : this.evaluate(name, totals),
    );
    return value === null || Number.isFinite(value) ? value : null;
  }
}

export class MetricError extends Error {
  constructor(
    readonly metric: string,
    problem: string,
  ) {
    super(`Metric ${metric} ${problem}`);
    this.name = "MetricError";
  }
}
