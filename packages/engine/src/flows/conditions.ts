import type { ConditionType } from "./widgets.ts";

/**
 * Whether a split-based-on condition holds for `input` against `value` (both already rendered).
 *
 * Text comparisons ignore case and surrounding spaces, as Studio's do. `matches_any_of` takes a
 * comma-separated list; `regex` must match the whole input (case-insensitive); `less_than` and
 * `greater_than` compare numbers and fail when either side is not one; the time conditions compare
 * HH:MM times of day and the date conditions calendar dates (YYYY-MM-DD), taking the time or date
 * part of an ISO timestamp input. An invalid regex or an unreadable time or date does not match.
 */
export function conditionHolds(type: ConditionType, input: string, value: string): boolean {
  const a = input.trim().toLowerCase();
  const b = value.trim().toLowerCase();
  switch (type) {
    case "equal_to":
      return a === b;
    case "not_equal_to":
      return a !== b;
    case "matches_any_of":
      return listOf(b).includes(a);
    case "does_not_match_any_of":
      return !listOf(b).includes(a);
    case "is_blank":
      return a === "";
    case "is_not_blank":
      return a !== "";
    case "contains":
      return a.includes(b);
    case "does_not_contain":
      return !a.includes(b);
    case "starts_with":
      return a.startsWith(b);
    case "does_not_start_with":
      return !a.startsWith(b);
    case "regex":
      return wholeMatch(input.trim(), value.trim());
    case "less_than":
    case "greater_than": {
      const x = numberOf(a);
      const y = numberOf(b);
      if (x === undefined || y === undefined) return false;
      return type === "less_than" ? x < y : x > y;
    }
    case "is_before_time":
    case "is_after_time": {
      const x = minuteOfDay(a);
      const y = minuteOfDay(b);
      if (x === undefined || y === undefined) return false;
      return type === "is_before_time" ? x < y : x > y;
    }
    case "is_before_date":
    case "is_after_date": {
      const x = dateOf(a);
      const y = dateOf(b);
      if (x === undefined || y === undefined) return false;
      return type === "is_before_date" ? x < y : x > y;
    }
  }
}

function listOf(value: string): string[] {
  return value.split(",").map((item) => item.trim());
}

function wholeMatch(input: string, pattern: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, "i").test(input);
  } catch {
    return false;
  }
}

function numberOf(text: string): number | undefined {
  if (text === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Minutes since midnight of `HH:MM` (or the time part of an ISO timestamp). */
function minuteOfDay(text: string): number | undefined {
  const match = /(?:^|t|\s)(\d{1,2}):(\d{2})/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  return hours < 24 && minutes < 60 ? hours * 60 + minutes : undefined;
}

/** A YYYY-MM-DD date (or the date part of an ISO timestamp) as a sortable string. */
function dateOf(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return undefined;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCDate() === Number(day) ? `${year}-${month}-${day}` : undefined;
}
