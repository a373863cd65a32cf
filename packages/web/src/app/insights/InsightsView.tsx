import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { AlertsSetup, MetricsSetup, type Metric } from "./InsightsSetup.tsx";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api } from "../api.ts";
import type { Me } from "../App.tsx";
import { failureText, inputClass, Panel, useList } from "../admin/common.tsx";

/** The report API's answer (docs/INSIGHTS.md), as much of it as the dashboard reads. */
interface Report {
  metrics: { name: string; format: "count" | "percent" | "seconds" | "number"; description: string }[];
  rows: {
    interval_start: string | null;
    group: Record<string, { key: string | null; label: string | null }>;
    values: Record<string, number | null>;
  }[];
  totals: { values: Record<string, number | null> };
}

interface Segment {
  task_sid: string;
  segment: number;
  task_queue_name: string | null;
  worker_name: string | null;
  channel: string;
  outcome: string | null;
  date_entered: string;
  queue_seconds: number | null;
  talk_seconds: number | null;
  wrap_seconds: number | null;
}

const TILES = [
  "offered",
  "handled",
  "abandoned",
  "service_level",
  "average_speed_of_answer",
  "average_handle_time",
  "occupancy",
] as const;
const TABLE = [
  "offered",
  "handled",
  "abandoned",
  "service_level",
  "average_speed_of_answer",
  "average_handle_time",
  "transfers",
];
const GROUPS = ["queue", "worker", "team", "channel"] as const;
const INTERVALS = ["15m", "30m", "60m", "day"] as const;
/** Metrics whose figure is a count of segments: drilling into one lists exactly those segments. */
const DRILLABLE = new Set(["offered", "handled", "abandoned", "short_abandoned", "transfers", "timed_out"]);

type Drill = { title: string; params: Record<string, string> };

/**
 * Priya's dashboard: the standard metrics for a period as tiles, one over time as a chart, a
 * breakdown by queue, agent, team or channel, and the segments behind any figure. Everything comes
 * from the report and segments endpoints, so it shows each account's own metric definitions.
 */
export function InsightsView({ me }: { me: Me }) {
  const { t } = useTranslation();
  const workspaces = useList<{ sid: string; friendly_name: string }>("/v1/Workspaces", "workspaces");
  const [chosen, setChosen] = useState<string | undefined>();
  const workspaceSid = chosen ?? me.workspace_sid ?? workspaces.items[0]?.sid;
  const today = new Date().toISOString().slice(0, 10);
  const [from, setFrom] = useState(() => new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10));
  const [to, setTo] = useState(today);
  const [interval, setInterval_] = useState<(typeof INTERVALS)[number]>("60m");
  const [groupBy, setGroupBy] = useState<(typeof GROUPS)[number]>("queue");
  const [charted, setCharted] = useState("service_level");
  const [drill, setDrill] = useState<Drill | undefined>();
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const range = useMemo(() => {
    const start = localMidnight(from);
    const end = localMidnight(nextDay(to));
    return { StartDate: start, EndDate: end, TimeZone: timeZone };
  }, [from, to, timeZone]);
  const base = workspaceSid ? `/switchboard/v1/Workspaces/${workspaceSid}/Insights` : undefined;
  const [revision, setRevision] = useState(0);
  const totals = useReport(base, { ...range, Interval: "all", Metrics: TILES.join(",") }, revision);
  const overTime = useReport(base, { ...range, Interval: interval, Metrics: charted }, revision);
  const breakdown = useReport(
    base,
    { ...range, Interval: "all", GroupBy: groupBy, Metrics: TABLE.join(",") },
    revision,
  );
  const metricList = useList<Metric>("/switchboard/v1/Insights/Metrics", "metrics");
  const error = totals.error ?? overTime.error ?? breakdown.error;
  const exportQuery = new URLSearchParams({
    ...range,
    Interval: interval,
    GroupBy: groupBy,
    Metrics: TABLE.join(","),
  });

  return (
    <div className="h-full overflow-auto bg-slate-50 p-4">
      <form className="mb-4 flex flex-wrap items-end gap-3 text-sm" onSubmit={(e) => e.preventDefault()}>
        {workspaces.items.length > 1 && (
          <Choice
            label={t("admin.workspace")}
            value={workspaceSid ?? ""}
            options={workspaces.items.map((w) => [w.sid, w.friendly_name])}
            onChange={setChosen}
          />
        )}
        {(
          [
            [t("insights.from"), from, setFrom, { max: to }],
            [t("insights.to"), to, setTo, { min: from }],
          ] as const
        ).map(([label, value, set, bounds]) => (
          <label key={label} className="flex flex-col">
            {label}
            <input
              type="date"
              className={inputClass}
              value={value}
              {...bounds}
              onChange={(e) => set(e.target.value)}
            />
          </label>
        ))}
        <Choice
          label={t("insights.interval")}
          value={interval}
          options={INTERVALS.map((i) => [i, t(`insights.intervals.${i}`)])}
          onChange={(v) => setInterval_(v as typeof interval)}
        />
        <Choice
          label={t("insights.groupBy")}
          value={groupBy}
          options={GROUPS.map((g) => [g, t(`insights.groups.${g}`)])}
          onChange={(v) => setGroupBy(v as typeof groupBy)}
        />
        <span className="text-slate-500">{timeZone}</span>
        {base && (
          <span className="ml-auto flex gap-3">
            <a className="text-blue-700 underline" href={`${base}/Report.csv?${exportQuery.toString()}`}>
              {t("insights.exportCsv")}
            </a>
            <a className="text-blue-700 underline" href={`${base}/Report.xlsx?${exportQuery.toString()}`}>
              {t("insights.exportExcel")}
            </a>
          </span>
        )}
      </form>
      {error && <p className="mb-3 text-red-700">{error}</p>}

      <section
        aria-label={t("insights.summary")}
        className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-7"
      >
        {TILES.map((name) => (
          <button
            type="button"
            key={name}
            onClick={() => setCharted(name)}
            aria-pressed={charted === name}
            className={`rounded border bg-white p-3 text-left ${charted === name ? "border-blue-600" : "border-slate-200"}`}
          >
            <div className="text-xs text-slate-500">{metricName(t, name)}</div>
            <div className="text-2xl font-semibold" data-metric={name}>
              {formatValue(totals.report?.totals.values[name], formatOf(totals.report, name))}
            </div>
          </button>
        ))}
      </section>

      <Panel title={t("insights.overTime", { metric: metricName(t, charted) })}>
        <div className="h-64">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart
              data={timeline(overTime.report, charted, range.StartDate, range.EndDate, interval)}
              onClick={(state) => {
                const start = (state as { activeLabel?: string } | undefined)?.activeLabel;
                if (!start) return;
                setDrill({
                  title: t("insights.intervalSegments", { start: new Date(start).toLocaleString() }),
                  params: { StartDate: start, EndDate: intervalEnd(start, interval), Measure: "offered" },
                });
              }}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="start" tickFormatter={(v: string) => shortTime(v, interval)} minTickGap={24} />
              <YAxis
                tickFormatter={(v: number) => formatValue(v, formatOf(overTime.report, charted))}
                // Percentages read against 0–100 % (more only if a metric of the account's goes past it).
                domain={
                  formatOf(overTime.report, charted) === "percent"
                    ? [0, (highest: number) => Math.max(1, highest)]
                    : [0, "auto"]
                }
                width={64}
              />
              <Tooltip
                labelFormatter={(v) => (typeof v === "string" ? new Date(v).toLocaleString() : "")}
                formatter={(v) => formatValue(Number(v), formatOf(overTime.report, charted))}
              />
              <Line
                type="monotone"
                dataKey="value"
                stroke="#1d4ed8"
                dot
                isAnimationActive={false}
                connectNulls
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
        <p className="mt-1 text-xs text-slate-500">{t("insights.chartHint")}</p>
      </Panel>

      <div className="mt-4">
        <Panel title={t("insights.breakdown", { group: t(`insights.groups.${groupBy}`) })}>
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th className="py-1">{t(`insights.groups.${groupBy}`)}</th>
                {TABLE.map((m) => (
                  <th
                    key={m}
                    className="py-1 text-right"
                    title={metricList.items.find((x) => x.name === m)?.description}
                  >
                    {metricName(t, m)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(breakdown.report?.rows ?? []).map((row) => {
                const group = row.group[groupBy];
                const label = group?.label ?? group?.key ?? t("insights.none");
                return (
                  <tr key={group?.key ?? "none"} className="border-t border-slate-100">
                    <td className="py-1">{label}</td>
                    {TABLE.map((m) => (
                      <td key={m} className="py-1 text-right">
                        {DRILLABLE.has(m) && group?.key ? (
                          <button
                            type="button"
                            className="text-blue-700 underline"
                            onClick={() =>
                              setDrill({
                                title: `${label}: ${metricName(t, m)}`,
                                params: {
                                  ...range,
                                  [filterParam[groupBy]]: group.key!,
                                  Measure: m === "transfers" ? "transferred" : m,
                                },
                              })
                            }
                          >
                            {formatValue(row.values[m], formatOf(breakdown.report, m))}
                          </button>
                        ) : (
                          formatValue(row.values[m], formatOf(breakdown.report, m))
                        )}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Panel>
      </div>

      {drill && base && <DrillDown base={base} drill={drill} onClose={() => setDrill(undefined)} />}
      <div className="mt-4 flex flex-col gap-4">
        <MetricsSetup
          metrics={metricList}
          canEdit={me.role === "admin"}
          onChange={() => setRevision((r) => r + 1)}
        />
        {base && <AlertsSetup base={base} metrics={metricList.items} />}
      </div>
    </div>
  );
}

const filterParam: Record<(typeof GROUPS)[number], string> = {
  queue: "Queue",
  worker: "Worker",
  team: "Team",
  channel: "Channel",
};

/** A labelled drop-down of [value, text] options. */
function Choice({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: (readonly [string, string])[];
  onChange: (value: string) => void;
}) {
  return (
    <label className="flex flex-col">
      {label}
      <select className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map(([key, text]) => (
          <option key={key} value={key}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The segments behind a figure. */
function DrillDown({ base, drill, onClose }: { base: string; drill: Drill; onClose: () => void }) {
  const { t } = useTranslation();
  const [segments, setSegments] = useState<Segment[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setSegments(undefined);
    api<{ segments: Segment[] }>(
      "GET",
      `${base}/Segments?${new URLSearchParams({ ...drill.params, PageSize: "200" }).toString()}`,
    ).then(
      (page) => setSegments(page.segments),
      (e: unknown) => setError(failureText(e)),
    );
  }, [base, drill]);
  return (
    <section
      aria-label={t("insights.segments")}
      className="mt-4 rounded border border-slate-200 bg-white p-3"
    >
      <div className="mb-2 flex items-center">
        <h2 className="font-medium">{drill.title}</h2>
        <button type="button" className="ml-auto text-sm underline" onClick={onClose}>
          {t("common.close")}
        </button>
      </div>
      {error && <p className="text-red-700">{error}</p>}
      {!segments && !error && <p className="text-slate-500">{t("common.loading")}</p>}
      {segments && segments.length === 0 && <p className="text-slate-500">{t("insights.noSegments")}</p>}
      {segments && segments.length > 0 && (
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th>{t("insights.columns.task")}</th>
              <th>{t("insights.columns.entered")}</th>
              <th>{t("insights.groups.queue")}</th>
              <th>{t("insights.groups.worker")}</th>
              <th>{t("insights.groups.channel")}</th>
              <th>{t("insights.columns.outcome")}</th>
              <th className="text-right">{t("insights.columns.wait")}</th>
              <th className="text-right">{t("insights.columns.handle")}</th>
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={`${s.task_sid}/${s.segment}`} className="border-t border-slate-100">
                <td className="font-mono text-xs">{s.task_sid}</td>
                <td>{new Date(s.date_entered).toLocaleString()}</td>
                <td>{s.task_queue_name}</td>
                <td>{s.worker_name ?? "—"}</td>
                <td>{s.channel}</td>
                <td>
                  {s.outcome
                    ? t(`insights.outcomes.${s.outcome}` as "insights.outcomes.handled")
                    : t("insights.open")}
                </td>
                <td className="text-right">{formatValue(s.queue_seconds, "seconds")}</td>
                <td className="text-right">
                  {s.talk_seconds === null
                    ? "—"
                    : formatValue(s.talk_seconds + (s.wrap_seconds ?? 0), "seconds")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A report, fetched again when its query or `revision` (a changed metric definition) changes. */
function useReport(base: string | undefined, params: Record<string, string>, revision: number) {
  const [report, setReport] = useState<Report | undefined>();
  const [error, setError] = useState<string | undefined>();
  const query = new URLSearchParams(params).toString();
  useEffect(() => {
    if (!base) return;
    let current = true;
    api<Report>("GET", `${base}/Report?${query}`).then(
      (answer) => {
        if (!current) return;
        setReport(answer);
        setError(undefined);
      },
      (e: unknown) => current && setError(failureText(e)),
    );
    return () => {
      current = false;
    };
  }, [base, query, revision]);
  return { report, error };
}

function formatOf(report: Report | undefined, metric: string) {
  return report?.metrics.find((m) => m.name === metric)?.format ?? "number";
}

/** A metric's value as people read it: a count, a percentage, a duration. */
export function formatValue(
  value: number | null | undefined,
  format: Report["metrics"][number]["format"],
): string {
  if (value === null || value === undefined) return "—";
  switch (format) {
    case "count":
      return value.toLocaleString();
    case "percent":
      return `${(value * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
    case "seconds": {
      const seconds = Math.round(value);
      return seconds >= 60
        ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`
        : `${seconds} s`;
    }
    case "number":
      return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  }
}

/** A standard metric's translated name; an account's own metrics show their name. */
function metricName(t: ReturnType<typeof useTranslation>["t"], name: string): string {
  const names = t("insights.metrics", { returnObjects: true }) as Record<string, string>;
  return names[name] ?? name;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The instant a day starts here (the browser's zone is the report's), as ISO 8601. */
function localMidnight(day: string): string {
  return new Date(`${day}T00:00:00`).toISOString();
}

/** The next interval's start; a local day may have 23 or 25 hours. */
function intervalEnd(start: string, interval: (typeof INTERVALS)[number]): string {
  if (interval === "day") {
    const next = new Date(start);
    next.setDate(next.getDate() + 1);
    return next.toISOString();
  }
  const minutes = { "15m": 15, "30m": 30, "60m": 60 }[interval];
  return new Date(Date.parse(start) + minutes * 60_000).toISOString();
}

/**
 * One point per interval of the range, so quiet intervals show: a count with no rows is 0; a
 * ratio or time with no rows has no value (the line bridges the gap).
 */
function timeline(
  report: Report | undefined,
  metric: string,
  from: string,
  to: string,
  interval: (typeof INTERVALS)[number],
): { start: string; value: number | null }[] {
  if (!report) return [];
  const values = new Map(report.rows.map((r) => [r.interval_start, r.values[metric] ?? null]));
  const empty = formatOf(report, metric) === "count" ? 0 : null;
  const points = [];
  for (let start = from; start < to; start = intervalEnd(start, interval))
    points.push({ start, value: values.get(start) ?? empty });
  return points;
}

function shortTime(iso: string, interval: (typeof INTERVALS)[number]): string {
  const date = new Date(iso);
  return interval === "day"
    ? date.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : date.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
}
