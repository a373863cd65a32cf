import writeXlsxFile from "write-excel-file/node";
import type { Report } from "./report.ts";

type Cell = string | number | null;

/**
 * A report as a table: one header row, then one row per report row, then the totals. A dimension
 * with labels (queue and worker names) gets a `<name>_name` column beside its key.
 */
export function reportTable(report: Report): { header: string[]; rows: Cell[][] } {
  const timed = report.interval !== "all";
  const labelled = new Set(report.groupBy.filter((name) => report.rows.some((r) => r.group[name]?.label)));
  const line = (
    interval: Cell,
    group: Report["rows"][number]["group"],
    values: Record<string, Cell>,
  ): Cell[] => [
    ...(timed ? [interval] : []),
    ...report.groupBy.flatMap((name) => {
      const key = group[name]?.key ?? null;
      return labelled.has(name) ? [key, group[name]?.label ?? null] : [key];
    }),
    ...report.metrics.map((m) => values[m.name] ?? null),
  ];
  const header = [
    ...(timed ? ["interval_start"] : []),
    ...report.groupBy.flatMap((name) => (labelled.has(name) ? [name, `${name}_name`] : [name])),
    ...report.metrics.map((m) => m.name),
  ];
  const rows = report.rows.map((row) =>
    line(
      row.intervalStart === null ? null : new Date(row.intervalStart).toISOString(),
      row.group,
      row.values,
    ),
  );
  rows.push(line("total", {}, report.totals.values));
  return { header, rows };
}

/** RFC 4180 CSV; a cell that a spreadsheet would run as a formula is prefixed with a quote. */
export function toCsv(header: string[], rows: Cell[][]): string {
  const cell = (value: Cell) => {
    if (value === null) return "";
    if (typeof value === "number") return String(value);
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

export async function toXlsx(sheet: string, header: string[], rows: Cell[][]): Promise<Buffer> {
  const data = [
    header.map((value) => ({ value, fontWeight: "bold" as const })),
    ...rows.map((row) => row.map((value) => (value === null ? null : { value }))),
  ];
  return writeXlsxFile(data, { sheet: sheet.slice(0, 31) }).toBuffer();
}
