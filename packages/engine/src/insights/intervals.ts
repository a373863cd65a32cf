import { SLICE_MS } from "./projection.ts";

/**
 * Report intervals in a time zone. Facts are stored by 15-minute UTC slices; every time zone's
 * offset is a whole number of quarter hours, so each slice lies inside exactly one local 15, 30 or
 * 60-minute interval or local day, and a report merges slices without splitting any.
 */

export type ReportInterval = "15m" | "30m" | "60m" | "day" | "all";
export const REPORT_INTERVALS: readonly ReportInterval[] = ["15m", "30m", "60m", "day", "all"];

const INTERVAL_MS: Record<Exclude<ReportInterval, "day" | "all">, number> = {
  "15m": SLICE_MS,
  "30m": 2 * SLICE_MS,
  "60m": 4 * SLICE_MS,
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at `ms`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  const local = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour") % 24,
    get("minute"),
    get("second"),
  );
  return local - Math.floor(ms / 1000) * 1000;
}

/** Start (ms, UTC) of the local interval holding `ms`; `all` has one interval, starting at `from`. */
export function intervalStart(ms: number, interval: ReportInterval, timeZone: string, from: number): number {
  if (interval === "all") return from;
  const offset = zoneOffsetMs(ms, timeZone);
  const local = ms + offset;
  if (interval === "day") {
    const midnight = local - mod(local, 86_400_000);
    // Around a DST change the offset at midnight differs from the offset now.
    return midnight - zoneOffsetMs(midnight - offset, timeZone);
  }
  const size = INTERVAL_MS[interval];
  return local - mod(local, size) - offset;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (!cached) {
    cached = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}

/** Slices in each interval (`all`: none, the range is one interval). */
const SLICES: Record<Exclude<ReportInterval, "all">, number> = { "15m": 1, "30m": 2, "60m": 4, day: 96 };

/**
 * How many 15-minute slices a database may add up together before the local intervals are formed:
 * the largest divisor of the interval's slice count that every offset the zone has between `from`
 * and `to` is a whole multiple of. Hours in any zone with whole-hour offsets (DST included) are
 * whole UTC hours, so a month by hour in Paris is summed by the database in hours; days are summed
 * by the database only in UTC, else by hour and merged into local days. 0 for `all`.
 */
export function alignedSlices(interval: ReportInterval, timeZone: string, from: number, to: number): number {
  if (interval === "all") return 0;
  const offsets = new Set<number>();
  for (let at = from; at < to; at += 86_400_000) offsets.add(zoneOffsetMs(at, timeZone));
  offsets.add(zoneOffsetMs(Math.max(from, to - 1), timeZone));
  const wanted = SLICES[interval];
  for (const size of [96, 4, 2, 1]) {
    if (wanted % size !== 0) continue;
    if ([...offsets].every((offset) => offset % (size * SLICE_MS) === 0)) return size;
  }
  return 1;
}
