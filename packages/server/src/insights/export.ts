import writeXlsxFile from "write-excel-file/node";
import type { Report } from "./report.ts";

/** A report as a table: one header row, then one row per report row, then the totals. */
export function reportTable(report: Report): { header: string[]; rows: (string | number | null)[][] } {
  const header = [
    ...(report.interval === "all" ? [] : ["interval_start"]),
    ...report.groupBy.flatMap((name) =>
      report.rows.some((r) => r.group[name]?.label) ? [name, `${name}_name`] : [name],
    ),
    ...report.metrics.map((m) => m.name),
  ];
  const withLabel = new Set(report.groupBy.filter((name) => report.rows.some((r) => r.group[name]?.label)));
  const line = (
    interval: string | null,
    group: (name: string) => [string | null, string | null],
    values: Record<string, number | null>,
  ) => [
    ...(report.interval === "all" ? [] : [interval]),
    ...report.groupBy.flatMap((name) => {
      const [key, label] = group(name);
      return withLabel.has(name) ? [key, label] : [key];
    }),
    ...report.metrics.map((m) => values[m.name] ?? null),
  ];
  const rows = report.rows.map((row) =>
    line(
      row.intervalStart === null ? null : new Date(row.intervalStart).toISOString(),
      (name) => [row.group[name]?.key ?? null, row.group[name]?.label ?? null],
      row.values,
    ),
  );
  rows.push(line("total", () => [null, null], report.totals.values));
  return { header, rows };
}

/** RFC 4180 CSV; a cell that a spreadsheet would run as a formula is prefixed with a quote. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (value: string | number | null) => {
    if (value === null) return "";
    if (typeof value === "number") return String(value);
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

export async function toXlsx(
  sheet: string,
  header: string[],
  rows: (string | number | null)[][],
): Promise<Buffer> {
  const data = [
    header.map((value) => ({ value, fontWeight: "bold" as const })),
    ...rows.map((row) => row.map((value) => (value === null ? null : { value }))),
  ];
  return writeXlsxFile(data, { sheet: sheet.slice(0, 31) }).toBuffer();
}
