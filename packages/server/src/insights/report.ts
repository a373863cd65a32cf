import type { SEGMENT_MEASURES } from "@switchboard/engine";
import {
  SLICE_MS,
  WORKER_MEASURES,
  alignedSlices,
  intervalStart,
  sliceWorkerTime,
  type Clock,
  type FormulaValue,
  type MetricCatalog,
  type MetricDefinition,
  type ReportInterval,
  type SegmentFact,
} from "@switchboard/engine";
import { sql, type Expression, type RawBuilder, type SqlBool } from "kysely";
import type { Database } from "../platform/db/database.ts";
import { segmentOf, type FactStore } from "./facts.ts";
import type { PageRequest } from "../platform/http/paging.ts";
import type { Settings } from "./settings.ts";

/** Dimensions a report can group and filter by, besides the account's custom text attributes. */
export const DIMENSIONS = ["queue", "worker", "team", "channel", "direction", "workflow"] as const;
export type StandardDimension = (typeof DIMENSIONS)[number];

/** Columns of each dimension: the key, and the label shown beside it. */
const DIMENSION_COLUMNS: Record<StandardDimension, { key: string; label: string | null }> = {
  queue: { key: "queue_sid", label: "queue_name" },
  worker: { key: "worker_sid", label: "worker_name" },
  team: { key: "team", label: null },
  channel: { key: "channel", label: null },
  direction: { key: "direction", label: null },
  workflow: { key: "workflow_sid", label: null },
};

/** Worker time is kept per worker, so only these dimensions can split it. */
const WORKER_DIMENSIONS = new Set<string>(["worker", "team"]);

export interface ReportQuery {
  accountSid: string;
  workspaceSid: string;
  /** Inclusive start and exclusive end, ms; widened to whole 15-minute slices. */
  from: number;
  to: number;
  interval: ReportInterval;
  timeZone: string;
  /** Standard dimensions or custom attribute names. */
  groupBy: string[];
  metrics: string[];
  /** Dimension → the values kept. */
  filters: Record<string, string[]>;
}

export interface ReportGroupValue {
  key: string | null;
  label: string | null;
}

export interface ReportRow {
  /** Start of the row's interval (null when the report has one interval for the whole range). */
  intervalStart: number | null;
  group: Record<string, ReportGroupValue>;
  values: Record<string, FormulaValue>;
  measures: Record<string, number>;
}

export interface Report {
  from: number;
  to: number;
  interval: ReportInterval;
  timeZone: string;
  groupBy: string[];
  metrics: MetricDefinition[];
  rows: ReportRow[];
  totals: Pick<ReportRow, "values" | "measures">;
}

export class ReportError extends Error {}

/**
 * Answers report queries from the facts: SQL sums the measures the requested metrics need per
 * 15-minute slice and group; the slices are then merged into the requested (local) intervals and
 * the metric formulas evaluated on the totals of each row and of the whole report.
 */
export class Reports {
  constructor(
    private readonly database: Database,
    private readonly facts: FactStore,
    private readonly clock: Clock,
  ) {}

  async run(query: ReportQuery, catalog: MetricCatalog, settings: Settings): Promise<Report> {
    const from = Math.floor(query.from / SLICE_MS) * SLICE_MS;
    const to = Math.ceil(query.to / SLICE_MS) * SLICE_MS;
    const metrics = query.metrics.map((name) => {
      const definition = catalog.get(name);
      if (!definition) throw new ReportError(`Unknown metric ${name}`);
      return definition;
    });
    const needed = new Set<string>();
    for (const metric of metrics) for (const measure of catalog.measuresOf(metric.name)) needed.add(measure);
    const dimensions = query.groupBy.map((name) => dimension(name, settings));
    for (const name of Object.keys(query.filters)) dimension(name, settings);

    const bucket = alignedSlices(query.interval, query.timeZone, from, to);
    const rows = new Map<string, ReportRow>();
    const intervalOf = intervalCache(query.interval, query.timeZone, from);
    const add = (
      slice: number,
      group: Record<string, ReportGroupValue>,
      measures: Record<string, number>,
    ) => {
      const start = intervalOf(slice * SLICE_MS);
      const key = `${start} ${JSON.stringify(Object.values(group).map((g) => g.key))}`;
      let row = rows.get(key);
      if (!row) {
        row = { intervalStart: query.interval === "all" ? null : start, group, values: {}, measures: {} };
        rows.set(key, row);
      }
      for (const [name, value] of Object.entries(measures))
        row.measures[name] = (row.measures[name] ?? 0) + value;
      // Labels can change (a queue renamed): the row shows the last one read.
      for (const [name, value] of Object.entries(group)) if (value.label !== null) row.group[name] = value;
    };

    const segmentMeasures = [...needed].filter((m) => !(m in WORKER_MEASURES));
    // With no metric at all the segments still say which rows (intervals, groups) exist.
    if (segmentMeasures.length > 0 || needed.size === 0) {
      for (const row of await this.segmentTotals(
        query,
        from,
        to,
        bucket,
        dimensions,
        segmentMeasures,
        settings,
      )) {
        add(Number(row.slice), groupOf(row, dimensions), measuresOf(row, segmentMeasures));
      }
    }
    const workerMeasures = [...needed].filter((m) => m in WORKER_MEASURES);
    const workerSplit =
      query.groupBy.every((d) => WORKER_DIMENSIONS.has(d)) &&
      Object.keys(query.filters).every((d) => WORKER_DIMENSIONS.has(d));
    if (workerMeasures.length > 0 && workerSplit) {
      for (const row of await this.workerTotals(query, from, to, bucket, dimensions)) {
        add(Number(row.slice), groupOf(row, dimensions), measuresOf(row, workerMeasures));
      }
      await this.addCurrentStretches(query, from, to, (slice, group, measures) =>
        add(slice, group, measures),
      );
    }

    const sorted = [...rows.values()].sort(
      (a, b) => (a.intervalStart ?? 0) - (b.intervalStart ?? 0) || groupText(a).localeCompare(groupText(b)),
    );
    const totals: Record<string, number> = {};
    for (const row of sorted) {
      for (const [name, value] of Object.entries(row.measures)) totals[name] = (totals[name] ?? 0) + value;
      row.values = valuesOf(metrics, catalog, row.measures);
    }
    return {
      from,
      to,
      interval: query.interval,
      timeZone: query.timeZone,
      groupBy: query.groupBy,
      metrics,
      rows: sorted,
      totals: { values: valuesOf(metrics, catalog, totals), measures: totals },
    };
  }

  private async segmentTotals(
    query: ReportQuery,
    from: number,
    to: number,
    bucket: number,
    dimensions: Dimension[],
    measures: string[],
    settings: Settings,
  ): Promise<Record<string, unknown>[]> {
    let q = this.database.db
      .selectFrom("insight_segments")
      .select(bucketStart(sql.ref("entered_slice"), bucket, from).as("slice"))
      .where("account_sid", "=", query.accountSid)
      .where("workspace_sid", "=", query.workspaceSid)
      .where("entered_slice", ">=", from / SLICE_MS)
      .where("entered_slice", "<", to / SLICE_MS);
    for (const name of measures) q = q.select(segmentMeasure(name, settings).as(name));
    for (const d of dimensions) {
      q = q.select(sql.ref(d.key).as(`key_${d.name}`));
      if (d.label) q = q.select(sql<string>`max(${sql.ref(d.label)})`.as(`label_${d.name}`));
    }
    q = applyFilters(q, query.filters, (name) => dimension(name, settings).key);
    const groups = [
      ...bucketGroup(sql.ref("entered_slice"), bucket),
      ...dimensions.map((d) => sql.ref(d.key)),
    ];
    return await (groups.length > 0 ? q.groupBy(groups as never) : q).execute();
  }

  /**
   * The segments behind a figure: those entered in the range that pass the filters and that
   * `measure` counts, in the order they entered (keyset-paged by entered_at, task, segment).
   */
  async segments(
    query: Pick<ReportQuery, "accountSid" | "workspaceSid" | "from" | "to" | "filters">,
    measure: CountedMeasure,
    settings: Settings,
    page: PageRequest,
  ): Promise<SegmentFact[]> {
    let q = this.database.db
      .selectFrom("insight_segments")
      .selectAll()
      .where("account_sid", "=", query.accountSid)
      .where("workspace_sid", "=", query.workspaceSid)
      .where("entered_slice", ">=", Math.floor(query.from / SLICE_MS))
      .where("entered_slice", "<", Math.ceil(query.to / SLICE_MS))
      .where(countedSegments(measure, settings));
    q = applyFilters(q, query.filters, (name) => dimension(name, settings).key);
    if (page.after) {
      const [enteredAt, taskSid, segment] = page.after;
      q = q.where(
        sql<SqlBool>`(entered_at, task_sid, segment) > (${Number(enteredAt)}, ${String(taskSid)}, ${Number(segment)})`,
      );
    }
    const rows = await q
      .orderBy("entered_at")
      .orderBy("task_sid")
      .orderBy("segment")
      .limit(page.pageSize + 1)
      .offset(page.offset)
      .execute();
    return rows.map(segmentOf);
  }

  private async workerTotals(
    query: ReportQuery,
    from: number,
    to: number,
    bucket: number,
    dimensions: Dimension[],
  ): Promise<Record<string, unknown>[]> {
    let q = this.database.db
      .selectFrom("insight_worker_slices")
      .select([
        bucketStart(sql.ref("slice"), bucket, from).as("slice"),
        sql<number>`sum(available_ms)`.as("available_ms"),
        sql<number>`sum(busy_ms)`.as("busy_ms"),
        sql<number>`sum(staffed_ms)`.as("staffed_ms"),
      ])
      .where("account_sid", "=", query.accountSid)
      .where("workspace_sid", "=", query.workspaceSid)
      .where("slice", ">=", from / SLICE_MS)
      .where("slice", "<", to / SLICE_MS);
    for (const d of dimensions) {
      q = q.select(sql.ref(d.key).as(`key_${d.name}`));
      if (d.label) q = q.select(sql<string>`max(${sql.ref(d.label)})`.as(`label_${d.name}`));
    }
    q = applyFilters(q, query.filters, (name) => DIMENSION_COLUMNS[name as StandardDimension].key);
    const groups = [...bucketGroup(sql.ref("slice"), bucket), ...dimensions.map((d) => sql.ref(d.key))];
    return await (groups.length > 0 ? q.groupBy(groups as never) : q).execute();
  }

  /** Each worker's time since its last event, which no slice holds yet, up to now. */
  private async addCurrentStretches(
    query: ReportQuery,
    from: number,
    to: number,
    add: (slice: number, group: Record<string, ReportGroupValue>, measures: Record<string, number>) => void,
  ): Promise<void> {
    const until = Math.min(to, this.clock.now());
    for (const state of await this.facts.workerStates(query.accountSid, query.workspaceSid)) {
      if (query.filters.worker && !query.filters.worker.includes(state.workerSid)) continue;
      if (query.filters.team && !query.filters.team.includes(state.team ?? "")) continue;
      for (const piece of sliceWorkerTime(state, Math.max(state.since, from), until)) {
        const group: Record<string, ReportGroupValue> = {};
        for (const name of query.groupBy) {
          group[name] =
            name === "worker"
              ? { key: state.workerSid, label: state.workerName }
              : { key: state.team, label: null };
        }
        add(piece.sliceStart / SLICE_MS, group, {
          available_ms: piece.availableMs,
          busy_ms: piece.busyMs,
          staffed_ms: piece.staffedMs,
        });
      }
    }
  }
}

/**
 * The first slice of a row's database bucket: `bucket` slices summed together (see
 * `alignedSlices`), or the whole range (0). Integer division on an integer column in both dialects.
 */
function bucketStart(slice: RawBuilder<unknown>, bucket: number, from: number): RawBuilder<number> {
  if (bucket === 0) return sql<number>`${sql.lit(from / SLICE_MS)}`;
  if (bucket === 1) return sql<number>`${slice}`;
  return sql<number>`(${slice} / ${sql.lit(bucket)}) * ${sql.lit(bucket)}`;
}

function bucketGroup(slice: RawBuilder<unknown>, bucket: number): RawBuilder<unknown>[] {
  if (bucket === 0) return [];
  return [bucket === 1 ? slice : sql`${slice} / ${sql.lit(bucket)}`];
}

interface Dimension {
  name: string;
  key: string;
  label: string | null;
}

/** A dimension's columns: a standard one, or the column holding an account's custom attribute. */
export function dimension(name: string, settings: Settings): Dimension {
  if ((DIMENSIONS as readonly string[]).includes(name))
    return { name, ...DIMENSION_COLUMNS[name as StandardDimension] };
  const index = settings.attributes.findIndex((a) => a.name === name);
  if (index < 0) {
    throw new ReportError(
      `Unknown dimension ${name}: expected one of ${[...DIMENSIONS, ...settings.attributes.map((a) => a.name)].join(", ")}`,
    );
  }
  return { name, key: `attribute_${index + 1}`, label: null };
}

function applyFilters<Q extends { where(expression: Expression<SqlBool>): Q }>(
  query: Q,
  filters: Record<string, string[]>,
  column: (name: string) => string,
): Q {
  let q = query;
  for (const [name, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    q = q.where(sql<SqlBool>`${sql.ref(column(name))} in (${sql.join(values)})`);
  }
  return q;
}

/**
 * The service-level threshold of a segment's queue, in ms, as SQL. The numbers are validated
 * integers written as literals: Postgres cannot infer a type for a bound parameter in a CASE.
 */
export function serviceLevelMs(settings: Settings): RawBuilder<number> {
  const fallback = sql.lit(settings.service_level_seconds * 1000);
  const queues = Object.entries(settings.queue_service_level_seconds);
  if (queues.length === 0) return sql<number>`${fallback}`;
  const cases = queues.map(([queue, seconds]) => sql`when ${queue} then ${sql.lit(seconds * 1000)}`);
  return sql<number>`(case queue_sid ${sql.join(cases, sql` `)} else ${fallback} end)`;
}

/** Measures that count segments: a report adds them up, a drill-down lists the segments they count. */
export const COUNTED_MEASURES = [
  "offered",
  "handled",
  "completed",
  "abandoned",
  "short_abandoned",
  "timed_out",
  "transferred",
  "answered_in_sl",
  "abandoned_in_sl",
] as const satisfies readonly (keyof typeof SEGMENT_MEASURES)[];
export type CountedMeasure = (typeof COUNTED_MEASURES)[number];

/** Which segments a count measure counts, as SQL. */
export function countedSegments(name: CountedMeasure, settings: Settings): RawBuilder<SqlBool> {
  const shortMs = sql.lit(settings.short_abandon_seconds * 1000);
  switch (name) {
    case "offered":
      return sql`1 = 1`;
    case "handled":
      return sql`accepted_at is not null`;
    case "completed":
      return sql`accepted_at is not null and ended_at is not null`;
    case "abandoned":
      return sql`outcome = 'abandoned'`;
    case "short_abandoned":
      return sql`outcome = 'abandoned' and queue_ms < ${shortMs}`;
    case "timed_out":
      return sql`outcome = 'timed_out'`;
    case "transferred":
      return sql`outcome = 'transferred'`;
    case "answered_in_sl":
      return sql`accepted_at is not null and queue_ms <= ${serviceLevelMs(settings)}`;
    case "abandoned_in_sl":
      return sql`outcome = 'abandoned' and queue_ms <= ${serviceLevelMs(settings)}`;
  }
}

/** Each segment measure as an aggregate over `insight_segments`. */
function segmentMeasure(name: string, settings: Settings): RawBuilder<number> {
  // The two commonest counts in the form the databases evaluate fastest; the same segments as
  // `countedSegments` says.
  if (name === "offered") return sql`count(*)`;
  if (name === "handled") return sql`count(accepted_at)`;
  if ((COUNTED_MEASURES as readonly string[]).includes(name)) {
    return sql`sum(case when ${countedSegments(name as CountedMeasure, settings)} then 1 else 0 end)`;
  }
  switch (name as keyof typeof SEGMENT_MEASURES) {
    case "wait_ms":
      return sql`coalesce(sum(case when accepted_at is not null then queue_ms end), 0)`;
    case "abandon_wait_ms":
      return sql`coalesce(sum(case when outcome = 'abandoned' then queue_ms end), 0)`;
    case "ring_ms":
      return sql`coalesce(sum(ring_ms), 0)`;
    case "talk_ms":
      return sql`coalesce(sum(talk_ms), 0)`;
    case "wrap_ms":
      return sql`coalesce(sum(wrap_ms), 0)`;
    case "reservations":
      return sql`sum(reservations)`;
    case "rejected":
      return sql`sum(rejected)`;
    case "missed":
      return sql`sum(missed)`;
  }
  const custom = settings.measures.findIndex((m) => m.name === name || `${m.name}_count` === name);
  if (custom < 0) throw new ReportError(`Unknown measure ${name}`);
  const column = sql.ref(`measure_${custom + 1}`);
  return name.endsWith("_count") && settings.measures[custom]!.name !== name
    ? sql`count(${column})`
    : sql`coalesce(sum(${column}), 0)`;
}

function groupOf(row: Record<string, unknown>, dimensions: Dimension[]): Record<string, ReportGroupValue> {
  const group: Record<string, ReportGroupValue> = {};
  for (const d of dimensions) {
    // Dimension columns are text (SIDs, names, attribute values).
    const key = row[`key_${d.name}`] as string | null | undefined;
    const label = row[`label_${d.name}`] as string | null | undefined;
    group[d.name] = { key: key ?? null, label: label ?? null };
  }
  return group;
}

function measuresOf(row: Record<string, unknown>, names: string[]): Record<string, number> {
  const measures: Record<string, number> = {};
  for (const name of names) measures[name] = Number(row[name] ?? 0);
  return measures;
}

function valuesOf(
  metrics: MetricDefinition[],
  catalog: MetricCatalog,
  measures: Record<string, number>,
): Record<string, FormulaValue> {
  return Object.fromEntries(metrics.map((m) => [m.name, catalog.evaluate(m.name, measures)]));
}

function groupText(row: ReportRow): string {
  return Object.values(row.group)
    .map((g) => g.label ?? g.key ?? "")
    .join(" ");
}

/** `intervalStart` per slice, remembered: a report meets the same few thousand slices many times. */
function intervalCache(interval: ReportInterval, timeZone: string, from: number): (ms: number) => number {
  const known = new Map<number, number>();
  return (ms) => {
    let start = known.get(ms);
    if (start === undefined) {
      start = intervalStart(ms, interval, timeZone, from);
      known.set(ms, start);
    }
    return start;
  };
}
