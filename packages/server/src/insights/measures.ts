import { MAX_CUSTOM_MEASURES, SEGMENT_MEASURES, type SegmentMeasure } from "@switchboard/engine";
import { sql, type RawBuilder, type SqlBool } from "kysely";
import type { Settings } from "./settings.ts";

/**
 * Segment measures as SQL over `insight_segments`: which segments each count measure counts, and
 * each measure as an aggregate. Reports and the drill-down read segments through these; rollups
 * are computed with them, so every path counts the same segments.
 */

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

/** Each segment measure, standard or custom, as an aggregate over `insight_segments`. */
export function segmentMeasure(name: string, settings: Settings): RawBuilder<number> {
  if (name in SEGMENT_MEASURES) return standardMeasure(name as SegmentMeasure, settings);
  return customAggregate(knownCustomColumn(name, settings));
}

/**
 * The column holding a custom measure: `measure_N` for the account's N-th measure and
 * `measure_N_count` for its `<name>_count`. Undefined when `name` is not one of its measures.
 */
export function customMeasureColumn(name: string, settings: Settings): string | undefined {
  const index = settings.measures.findIndex((m) => m.name === name || `${m.name}_count` === name);
  if (index < 0) return undefined;
  const counted = name.endsWith("_count") && settings.measures[index]!.name !== name;
  return `measure_${index + 1}${counted ? "_count" : ""}`;
}

/** The rollup column holding a segment measure, standard or custom. */
export function rollupColumn(name: string, settings: Settings): string {
  if (name in SEGMENT_MEASURES) return name;
  return knownCustomColumn(name, settings);
}

function knownCustomColumn(name: string, settings: Settings): string {
  const column = customMeasureColumn(name, settings);
  if (!column) throw new Error(`No measure ${name}: reports check the measures they name first`);
  return column;
}

/** The measure columns of a rollup row: every standard measure, then each custom measure and its count. */
export function rollupColumns(): string[] {
  const columns = Object.keys(SEGMENT_MEASURES);
  for (let n = 1; n <= MAX_CUSTOM_MEASURES; n++) columns.push(`measure_${n}`, `measure_${n}_count`);
  return columns;
}

/** Every column a rollup row holds, each with its aggregate over the segments it rolls up. */
export function rollupAggregates(settings: Settings): [string, RawBuilder<number>][] {
  return rollupColumns().map((column) => [
    column,
    column in SEGMENT_MEASURES
      ? standardMeasure(column as SegmentMeasure, settings)
      : customAggregate(column),
  ]);
}

function standardMeasure(name: SegmentMeasure, settings: Settings): RawBuilder<number> {
  // The two commonest counts in the form the databases evaluate fastest; the same segments as
  // `countedSegments` says.
  if (name === "offered") return sql`count(*)`;
  if (name === "handled") return sql`count(accepted_at)`;
  if ((COUNTED_MEASURES as readonly string[]).includes(name)) {
    return sql`sum(case when ${countedSegments(name as CountedMeasure, settings)} then 1 else 0 end)`;
  }
  switch (name as Exclude<SegmentMeasure, CountedMeasure>) {
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
}

/** A custom measure column's aggregate: the sum of `measure_N`, or how many segments have one. */
function customAggregate(column: string): RawBuilder<number> {
  const counted = column.endsWith("_count");
  const ref = sql.ref(counted ? column.slice(0, -"_count".length) : column);
  return counted ? sql`count(${ref})` : sql`coalesce(sum(${ref}), 0)`;
}
