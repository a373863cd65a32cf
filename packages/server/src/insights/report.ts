import {
  SEGMENT_MEASURES,
  SLICE_MS,
  WORKER_MEASURES,
  databaseBuckets,
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
import {
  countedSegments,
  customMeasureColumn,
  rollupColumn,
  segmentMeasure,
  type CountedMeasure,
} from "./measures.ts";
import { rollupFor } from "./rollups.ts";
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
    for (const measure of needed) {
      const known =
        measure in SEGMENT_MEASURES || measure in WORKER_MEASURES || customMeasureColumn(measure, settings);
      if (!known) throw new ReportError(`Unknown measure ${measure}`);
    }
    const dimensions = query.groupBy.map((name) => dimension(name, settings));
    for (const name of Object.keys(query.filters)) dimension(name, settings);

    const bucket = databaseBuckets(query.interval, query.timeZone, from, to);
    const sums = new RowSums(intervalCache(query.interval, query.timeZone, from), query.interval, dimensions);

    const segmentMeasures = [...needed].filter((m) => !(m in WORKER_MEASURES));
    // With no metric at all the segments still say which rows (intervals, groups) exist.
    if (segmentMeasures.length > 0 || needed.size === 0) {
      const records = await this.segmentTotals(
        query,
        from,
        to,
        bucket,
        dimensions,
        segmentMeasures,
        settings,
      );
      for (const record of records) sums.add(record, segmentMeasures);
    }
    const workerMeasures = [...needed].filter((m) => m in WORKER_MEASURES);
    const workerSplit =
      query.groupBy.every((d) => WORKER_DIMENSIONS.has(d)) &&
      Object.keys(query.filters).every((d) => WORKER_DIMENSIONS.has(d));
    if (workerMeasures.length > 0 && workerSplit) {
      for (const record of await this.workerTotals(query, from, to, bucket, dimensions))
        sums.add(record, workerMeasures);
      for (const record of await this.currentStretches(query, from, to)) sums.add(record, workerMeasures);
    }

    const rows = sums.sorted();
    const totals: Record<string, number> = {};
    for (const row of rows) {
      for (const name in row.measures) totals[name] = (totals[name] ?? 0) + row.measures[name]!;
      row.values = valuesOf(metrics, catalog, row.measures);
    }
    return {
      from,
      to,
      interval: query.interval,
      timeZone: query.timeZone,
      groupBy: query.groupBy,
      metrics,
      rows,
      totals: { values: valuesOf(metrics, catalog, totals), measures: totals },
    };
  }

  /**
   * Segment measures per bucket and group: from rollups when some keep every dimension the query
   * groups or filters by at a grain its buckets can use (`rollupFor`), otherwise from the segments.
   */
  private async segmentTotals(
    query: ReportQuery,
    from: number,
    to: number,
    bucket: Buckets,
    dimensions: Dimension[],
    measures: string[],
    settings: Settings,
  ): Promise<SumRecord[]> {
    const rollup = rollupFor([...query.groupBy, ...Object.keys(query.filters)], bucket, from, to);
    const rolledUp = rollup !== undefined;
    const slice = rolledUp ? "slice" : "entered_slice";
    let q = this.database.db
      .selectFrom(rollup ?? "insight_segments")
      .select(bucketStart(sql.ref(slice), bucket, from).as("slice"))
      .where("account_sid", "=", query.accountSid)
      .where("workspace_sid", "=", query.workspaceSid)
      .where(slice, ">=", from / SLICE_MS)
      .where(slice, "<", to / SLICE_MS);
    for (const name of measures) {
      q = q.select(
        (rolledUp
          ? sql<number>`sum(${sql.ref(rollupColumn(name, settings))})`
          : segmentMeasure(name, settings)
        ).as(name),
      );
    }
    for (const d of dimensions) {
      q = q.select(sql.ref(d.key).as(`key_${d.name}`));
      if (d.label) q = q.select(sql<string>`max(${sql.ref(d.label)})`.as(`label_${d.name}`));
    }
    q = applyFilters(q, query.filters, (name) => dimension(name, settings).key);
    const groups = [...bucketGroup(sql.ref(slice), bucket, from), ...dimensions.map((d) => sql.ref(d.key))];
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
    bucket: Buckets,
    dimensions: Dimension[],
  ): Promise<SumRecord[]> {
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
    const groups = [...bucketGroup(sql.ref("slice"), bucket, from), ...dimensions.map((d) => sql.ref(d.key))];
    return await (groups.length > 0 ? q.groupBy(groups as never) : q).execute();
  }

  /**
   * Each worker's time since its last event, which no slice holds yet, up to now: records shaped
   * as `workerTotals` answers them.
   */
  private async currentStretches(query: ReportQuery, from: number, to: number): Promise<SumRecord[]> {
    const until = Math.min(to, this.clock.now());
    const records: SumRecord[] = [];
    for (const state of await this.facts.workerStates(query.accountSid, query.workspaceSid)) {
      if (query.filters.worker && !query.filters.worker.includes(state.workerSid)) continue;
      if (query.filters.team && !query.filters.team.includes(state.team ?? "")) continue;
      for (const piece of sliceWorkerTime(state, Math.max(state.since, from), until)) {
        records.push({
          slice: piece.sliceStart / SLICE_MS,
          key_worker: state.workerSid,
          label_worker: state.workerName,
          key_team: state.team,
          available_ms: piece.availableMs,
          busy_ms: piece.busyMs,
          staffed_ms: piece.staffedMs,
        });
      }
    }
    return records;
  }
}

/**
 * A row as the database sums it: `slice` (the first of its bucket), `key_<dimension>` and
 * `label_<dimension>` for each dimension grouped by, and one column per measure.
 */
type SumRecord = Record<string, string | number | null | undefined>;

/**
 * A report's rows being summed: one per interval and group, whatever order and database buckets
 * the records come in. Reports can have hundreds of thousands of records (a month by agent and
 * hour), so adding one allocates nothing unless it starts a row.
 */
class RowSums {
  private readonly rows = new Map<string, ReportRow>();
  private readonly keys: string[];
  private readonly labels: (string | null)[];

  constructor(
    private readonly intervalOf: (ms: number) => number,
    private readonly interval: ReportInterval,
    private readonly dimensions: Dimension[],
  ) {
    this.keys = dimensions.map((d) => `key_${d.name}`);
    this.labels = dimensions.map((d) => (d.label ? `label_${d.name}` : null));
  }

  add(record: SumRecord, measures: string[]): void {
    const start = this.intervalOf(Number(record.slice) * SLICE_MS);
    let id = String(start);
    // Dimension values are text: a NUL marks a missing one, so null and "" stay apart.
    for (const key of this.keys) id += record[key] == null ? "\u0000" : `\u0001${String(record[key])}`;
    let row = this.rows.get(id);
    if (!row) {
      const group: Record<string, ReportGroupValue> = {};
      this.dimensions.forEach((d, i) => (group[d.name] = { key: text(record[this.keys[i]!]), label: null }));
      row = { intervalStart: this.interval === "all" ? null : start, group, values: {}, measures: {} };
      this.rows.set(id, row);
    }
    // Labels can change (a queue renamed): the row shows the last one read.
    this.labels.forEach((label, i) => {
      if (label !== null && record[label] != null)
        row.group[this.dimensions[i]!.name]!.label = text(record[label]);
    });
    for (const name of measures) row.measures[name] = (row.measures[name] ?? 0) + Number(record[name] ?? 0);
  }

  /** The rows by interval, then by their groups' labels (or keys) as people read them. */
  sorted(): ReportRow[] {
    const collator = new Intl.Collator("en");
    const named = [...this.rows.values()].map((row) => ({
      row,
      name: Object.values(row.group)
        .map((g) => g.label ?? g.key ?? "")
        .join(" "),
    }));
    named.sort(
      (a, b) => (a.row.intervalStart ?? 0) - (b.row.intervalStart ?? 0) || collator.compare(a.name, b.name),
    );
    return named.map(({ row }) => row);
  }
}

/** Dimension values are text (SIDs, names, attribute values); absent is null. */
function text(value: string | number | null | undefined): string | null {
  return value == null ? null : String(value);
}

type Buckets = ReturnType<typeof databaseBuckets>;

/**
 * The first slice of a row's database bucket, as `databaseBuckets` defines it: the start of the
 * local interval holding the slice under its piece's offset, or the piece's first slice for an
 * interval the piece begins inside; the range's first slice for `all`. Integer division on
 * integer columns, in both dialects; the numbers are literals so Postgres can match the grouping.
 */
function bucketStart(
  slice: RawBuilder<unknown>,
  { size, pieces }: Buckets,
  from: number,
): RawBuilder<number> {
  if (size === 0) return sql<number>`${sql.lit(from / SLICE_MS)}`;
  if (size === 1) return sql<number>`${slice}`;
  const n = (value: number) => sql.lit(value);
  const conditions: RawBuilder<unknown>[] = [];
  let last: RawBuilder<unknown> = slice;
  pieces.forEach((piece, i) => {
    const fullFrom = Math.ceil((piece.fromSlice + piece.shift) / size) * size - piece.shift;
    if (fullFrom > piece.fromSlice)
      conditions.push(sql`when ${slice} < ${n(fullFrom)} then ${n(piece.fromSlice)}`);
    const start = sql`((${slice} + ${n(piece.shift)}) / ${n(size)}) * ${n(size)} - ${n(piece.shift)}`;
    if (i < pieces.length - 1) conditions.push(sql`when ${slice} < ${n(piece.toSlice)} then ${start}`);
    else last = start;
  });
  if (conditions.length === 0) return sql<number>`(${last})`;
  return sql<number>`(case ${sql.join(conditions, sql` `)} else ${last} end)`;
}

/** What a report query groups by for its buckets: nothing for `all`. */
function bucketGroup(slice: RawBuilder<unknown>, buckets: Buckets, from: number): RawBuilder<unknown>[] {
  return buckets.size === 0 ? [] : [bucketStart(slice, buckets, from)];
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

function valuesOf(
  metrics: MetricDefinition[],
  catalog: MetricCatalog,
  measures: Record<string, number>,
): Record<string, FormulaValue> {
  return Object.fromEntries(metrics.map((m) => [m.name, catalog.evaluate(m.name, measures)]));
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
