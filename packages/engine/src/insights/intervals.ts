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

/** A stretch of a report's range over which the zone's offset does not change, in slices. */
export interface OffsetPiece {
  fromSlice: number;
  /** Exclusive. */
  toSlice: number;
  /** The zone's offset over the piece, in slices (negative west of Greenwich). */
  shift: number;
}

/**
 * How a database can sum slices into whole local intervals: `size` slices per interval (0 for
 * `all`), and the pieces of the range with one offset each. Within a piece, the local interval
 * holding slice `s` starts at slice `floor((s + shift) / size) * size - shift`, or at the piece's
 * first slice if that is later (an interval a DST change or the range's start cuts in two).
 * Offsets and changes of offset fall on slice edges in every zone, so a local day in Paris, or an
 * hour in Kolkata, is summed by the database however its offsets change over the range.
 */
export function databaseBuckets(
  interval: ReportInterval,
  timeZone: string,
  from: number,
  to: number,
): { size: number; pieces: OffsetPiece[] } {
  if (interval === "all") return { size: 0, pieces: [] };
  const first = Math.floor(from / SLICE_MS);
  const last = Math.ceil(to / SLICE_MS);
  const shiftAt = (slice: number) => zoneOffsetMs(slice * SLICE_MS, timeZone) / SLICE_MS;
  const pieces: OffsetPiece[] = [];
  let start = first;
  let shift = shiftAt(first);
  // Zones change offset at most a few times a year, never twice within a day: probing daily finds
  // every change, a binary search its slice.
  for (let probe = first; probe < last;) {
    const next = Math.min(probe + 96, last - 1);
    if (next <= probe) break;
    if (shiftAt(next) === shift) {
      probe = next;
      continue;
    }
    let [same, changed] = [probe, next];
    while (changed - same > 1) {
      const middle = Math.floor((same + changed) / 2);
      if (shiftAt(middle) === shift) same = middle;
      else changed = middle;
    }
    pieces.push({ fromSlice: start, toSlice: changed, shift });
    [start, shift, probe] = [changed, shiftAt(changed), changed];
  }
  pieces.push({ fromSlice: start, toSlice: last, shift });
  return { size: SLICES[interval], pieces };
}
