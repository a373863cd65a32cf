export { FormulaError, parseFormula } from "./formula.ts";
export type { Formula, FormulaValue } from "./formula.ts";
export { REPORT_INTERVALS, databaseBuckets, intervalStart, isTimeZone, zoneOffsetMs } from "./intervals.ts";
export type { OffsetPiece, ReportInterval } from "./intervals.ts";
export {
  METRIC_FORMATS,
  METRIC_NAME,
  MetricCatalog,
  MetricError,
  SEGMENT_MEASURES,
  STANDARD_METRICS,
  WORKER_MEASURES,
} from "./metrics.ts";
export type { MetricDefinition, MetricFormat, SegmentMeasure, WorkerMeasure } from "./metrics.ts";
export {
  InsightsProjection,
  MAX_CUSTOM_ATTRIBUTES,
  MAX_CUSTOM_MEASURES,
  SLICE_MS,
  sliceWorkerTime,
} from "./projection.ts";
export type {
  ConversationFact,
  InsightEvent,
  InsightSettings,
  ProjectedFacts,
  SegmentFact,
  SegmentOutcome,
  StoredFacts,
  WorkerSlice,
  WorkerTimeState,
} from "./projection.ts";
