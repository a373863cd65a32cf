/**
 * ISO 8601 durations as conversation timers take them: `PT5M`, `P1DT12H`, `PT90S`, `P2W`. Years and
 * months are refused, since their length depends on the calendar. Returns milliseconds, or undefined
 * when the text is not such a duration.
 */
export function durationMs(text: string): number | undefined {
  const weeks = /^P(\d+)W$/.exec(text);
  if (weeks) return Number(weeks[1]) * 7 * 86_400_000;
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === "P" || text.endsWith("T")) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return (
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Math.round(Number(seconds ?? 0) * 1000)
  );
}
