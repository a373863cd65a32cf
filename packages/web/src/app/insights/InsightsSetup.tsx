import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import {
  buttonClass,
  DeleteButton,
  Field,
  inputClass,
  Panel,
  quietButtonClass,
  useAttempt,
  useList,
} from "../admin/common.tsx";

export interface Metric {
  name: string;
  formula: string;
  format: "count" | "percent" | "seconds" | "number";
  description: string;
  standard: boolean;
  customized: boolean;
}

/** `GET /switchboard/v1/Insights/Metrics`, as `useList` reads it. */
export type MetricList = ReturnType<typeof useList<Metric>>;

/**
 * The account's metric definitions: a standard metric redefined (service level without short
 * abandons, say) changes every report, alert and scheduled email; "Restore" goes back to the
 * standard formula. Formula errors come back from the server with their position. Definitions
 * hold for the whole account, so only admins change them; supervisors read them.
 */
export function MetricsSetup({
  metrics,
  canEdit,
  onChange,
}: {
  /** The dashboard's list of the account's metrics (it names them too). */
  metrics: MetricList;
  canEdit: boolean;
  /** After a definition changed and `metrics` was read again. */
  onChange: () => void;
}) {
  const { t } = useTranslation();
  const { error, attempt } = useAttempt(async () => {
    await metrics.reload();
    onChange();
  });
  const [editing, setEditing] = useState<{ name: string; formula: string } | undefined>();
  const save = (event: FormEvent, metric: Metric) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", `/switchboard/v1/Insights/Metrics/${metric.name}`, {
        Formula: editing!.formula,
        Format: metric.format,
        Description: metric.description,
      });
      setEditing(undefined);
    });
  };
  return (
    <Panel title={t("insights.setup.metrics")}>
      <table className="w-full text-sm">
        <tbody>
          {metrics.items.map((metric) => (
            <tr key={metric.name} className="border-t border-slate-100">
              <td className="py-1 pr-3 font-medium">{metric.name}</td>
              <td className="py-1 pr-3">
                {editing?.name === metric.name ? (
                  <form onSubmit={(e) => save(e, metric)} className="flex gap-2">
                    <input
                      aria-label={t("insights.setup.formulaOf", { metric: metric.name })}
                      value={editing.formula}
                      onChange={(e) => setEditing({ name: metric.name, formula: e.target.value })}
                      className={`${inputClass} w-96 font-mono`}
                    />
                    <button type="submit" className={buttonClass}>
                      {t("common.save")}
                    </button>
                    <button type="button" className={quietButtonClass} onClick={() => setEditing(undefined)}>
                      {t("common.cancel")}
                    </button>
                  </form>
                ) : (
                  <code>{metric.formula}</code>
                )}
              </td>
              <td className="py-1 text-right whitespace-nowrap">
                {canEdit && editing?.name !== metric.name && (
                  <button
                    type="button"
                    className="text-blue-700 underline"
                    aria-label={t("insights.setup.editMetric", { metric: metric.name })}
                    onClick={() => setEditing({ name: metric.name, formula: metric.formula })}
                  >
                    {t("common.edit")}
                  </button>
                )}{" "}
                {canEdit && metric.customized && (
                  <DeleteButton
                    path={`/switchboard/v1/Insights/Metrics/${metric.name}`}
                    attempt={attempt}
                    label={metric.standard ? t("insights.setup.restore") : undefined}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={error ?? metrics.error} />
    </Panel>
  );
}

interface Alert {
  sid: string;
  friendly_name: string;
  metric: string;
  comparison: "below" | "above";
  threshold: number;
  window_minutes: number;
  email_to: string[];
  state: "ok" | "firing";
  last_value: number | null;
}

/** Alert rules of a workspace: a metric below or above a threshold over a trailing window, by email. */
export function AlertsSetup({ base, metrics }: { base: string; metrics: { name: string }[] }) {
  const { t } = useTranslation();
  const alerts = useList<Alert>(`${base}/Alerts`, "alerts");
  const { error, attempt } = useAttempt(alerts.reload);
  const [form, setForm] = useState({
    name: "",
    metric: "service_level",
    comparison: "below",
    threshold: "0.8",
    window: "15",
    email: "",
  });
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", `${base}/Alerts`, {
        FriendlyName: form.name,
        Metric: form.metric,
        Comparison: form.comparison,
        Threshold: form.threshold,
        WindowMinutes: form.window,
        EmailTo: form.email,
      });
      setForm({ ...form, name: "" });
    });
  };
  return (
    <Panel title={t("insights.setup.alerts")}>
      <ul className="mb-3 flex flex-col gap-1 text-sm">
        {alerts.items.map((alert) => (
          <li key={alert.sid} className="flex gap-3">
            <span className="font-medium">{alert.friendly_name}</span>
            <span>
              {t(`insights.setup.rule.${alert.comparison}`, {
                metric: alert.metric,
                threshold: alert.threshold,
                minutes: alert.window_minutes,
              })}
            </span>
            <span className="text-slate-500">{alert.email_to.join(", ")}</span>
            <span data-state={alert.state}>{t(`insights.setup.states.${alert.state}`)}</span>
            <DeleteButton path={`${base}/Alerts/${alert.sid}`} attempt={attempt} />
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="flex flex-wrap items-end gap-3">
        <Field label={t("common.name")}>
          <input value={form.name} onChange={set("name")} className={inputClass} required />
        </Field>
        <Field label={t("insights.setup.metric")}>
          <select value={form.metric} onChange={set("metric")} className={inputClass}>
            {metrics.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("insights.setup.when")}>
          <select value={form.comparison} onChange={set("comparison")} className={inputClass}>
            <option value="below">{t("insights.setup.below")}</option>
            <option value="above">{t("insights.setup.above")}</option>
          </select>
        </Field>
        <Field label={t("insights.setup.threshold")}>
          <input value={form.threshold} onChange={set("threshold")} className={`${inputClass} w-24`} />
        </Field>
        <Field label={t("insights.setup.window")}>
          <input
            type="number"
            min={15}
            step={15}
            value={form.window}
            onChange={set("window")}
            className={`${inputClass} w-24`}
          />
        </Field>
        <Field label={t("insights.setup.email")}>
          <input type="email" value={form.email} onChange={set("email")} className={inputClass} required />
        </Field>
        <button type="submit" className={buttonClass}>
          {t("insights.setup.addAlert")}
        </button>
      </form>
      <ErrorLine error={error ?? alerts.error} />
    </Panel>
  );
}
