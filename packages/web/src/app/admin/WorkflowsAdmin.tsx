import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import {
  buttonClass,
  failureText,
  Field,
  inputClass,
  jsonProblem,
  Panel,
  quietButtonClass,
  useAttempt,
  useList,
  useSettled,
  DeleteButton,
} from "./common.tsx";

interface Workflow {
  sid: string;
  friendly_name: string;
  configuration: string;
  task_reservation_timeout: number;
}

interface Target {
  queue?: string;
  expression?: string;
  priority?: number | string;
  timeout?: number | string;
  [other: string]: unknown;
}

interface Filter {
  filter_friendly_name?: string;
  expression: string;
  targets: Target[];
  [other: string]: unknown;
}

interface Routing {
  task_routing: { filters?: Filter[]; default_filter?: { queue: string }; [other: string]: unknown };
  [other: string]: unknown;
}

interface Sample {
  filters: Array<{ index: number; name: string; expression: string; matches: boolean }>;
  filter: number | "default" | null;
  steps: Array<{
    step: number;
    task_queue_friendly_name: string;
    expression: string | null;
    timeout: number | null;
    skipped: boolean;
    waiting_ahead: number;
    offer_to: string[];
    candidates: Array<{ worker_sid: string; worker_name: string; verdict: string; detail: string }>;
  }>;
}

type Queue = { sid: string; friendly_name: string };

/**
 * Workflows, edited as a form (filters and their steps) or as the JSON document, checked by the
 * engine as they are typed, with "route a sample task": where a task with given attributes would
 * go under the configuration being edited — saved or not — and why, worker by worker.
 */
export function WorkflowsAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const base = `/v1/Workspaces/${workspaceSid}/Workflows`;
  const workflows = useList<Workflow>(base, "workflows");
  const queues = useList<Queue>(`/v1/Workspaces/${workspaceSid}/TaskQueues`, "task_queues");
  const { error, attempt } = useAttempt(workflows.reload);
  const [editing, setEditing] = useState<
    { sid?: string; name: string; json: string; timeout: number } | undefined
  >();

  const open = (workflow: Workflow) =>
    setEditing({
      sid: workflow.sid,
      name: workflow.friendly_name,
      json: JSON.stringify(JSON.parse(workflow.configuration), null, 2),
      timeout: workflow.task_reservation_timeout,
    });
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    void attempt(async () => {
      await api("POST", editing.sid ? `${base}/${editing.sid}` : base, {
        FriendlyName: editing.name,
        Configuration: editing.json,
        TaskReservationTimeout: String(editing.timeout),
      });
      setEditing(undefined);
    });
  };

  return (
    <>
      <Panel title={t("admin.section.workflows")}>
        <ul className="flex flex-col gap-1 text-sm">
          {workflows.items.map((workflow) => (
            <li key={workflow.sid} className="flex gap-3">
              <span>{workflow.friendly_name}</span>
              <button type="button" onClick={() => open(workflow)} className="text-blue-700 underline">
                {t("common.edit")}
              </button>
              <DeleteButton path={`${base}/${workflow.sid}`} attempt={attempt} />
            </li>
          ))}
        </ul>
        <button
          type="button"
          onClick={() =>
            setEditing({
              name: "",
              timeout: 120,
              json: JSON.stringify(
                {
                  task_routing: {
                    filters: [],
                    ...(queues.items[0] && { default_filter: { queue: queues.items[0].sid } }),
                  },
                },
                null,
                2,
              ),
            })
          }
          className={`${buttonClass} mt-3`}
        >
          {t("admin.workflows.new")}
        </button>
        <ErrorLine error={workflows.error} />
      </Panel>
      {editing && (
        <Panel
          title={
            editing.sid ? t("admin.workflows.editing", { name: editing.name }) : t("admin.workflows.new")
          }
        >
          <form onSubmit={save} className="flex flex-col gap-3">
            <div className="flex gap-3">
              <Field label={t("common.name")}>
                <input
                  required
                  value={editing.name}
                  onChange={(e) => setEditing({ ...editing, name: e.target.value })}
                  className={inputClass}
                />
              </Field>
              <Field label={t("admin.workflows.reservationTimeout")}>
                <input
                  type="number"
                  min={1}
                  max={86400}
                  value={editing.timeout}
                  onChange={(e) => setEditing({ ...editing, timeout: Number(e.target.value) })}
                  className={`${inputClass} w-28`}
                />
              </Field>
            </div>
            <ConfigurationEditor
              json={editing.json}
              queues={queues.items}
              onChange={(json) => setEditing({ ...editing, json })}
            />
            <ConfigurationCheck workspaceSid={workspaceSid} json={editing.json} />
            <div className="flex gap-2">
              <button type="submit" className={buttonClass}>
                {t("common.save")}
              </button>
              <button type="button" onClick={() => setEditing(undefined)} className={quietButtonClass}>
                {t("common.cancel")}
              </button>
            </div>
          </form>
          <ErrorLine error={error} />
          <SampleTask workspaceSid={workspaceSid} json={editing.json} />
        </Panel>
      )}
    </>
  );
}

/** The configuration as a form (filters, their steps, the default queue) or as JSON; both edit the same text. */
function ConfigurationEditor({
  json,
  queues,
  onChange,
}: {
  json: string;
  queues: Queue[];
  onChange: (json: string) => void;
}) {
  const { t } = useTranslation();
  const [asJson, setAsJson] = useState(false);
  const problem = jsonProblem(json);
  const routing = problem ? undefined : (JSON.parse(json) as Routing);
  const filters = routing?.task_routing?.filters ?? [];
  const write = (next: Routing) => onChange(JSON.stringify(next, null, 2));
  const setFilters = (next: Filter[]) =>
    routing && write({ ...routing, task_routing: { ...routing.task_routing, filters: next } });
  const setFilter = (index: number, change: Partial<Filter>) =>
    setFilters(filters.map((f, i) => (i === index ? { ...f, ...change } : f)));
  const setTarget = (filter: number, index: number, change: Partial<Target>) =>
    setFilter(filter, {
      targets: filters[filter]!.targets.map((target, i) => {
        if (i !== index) return target;
        const next: Target = { ...target, ...change };
        for (const key of Object.keys(change))
          if (next[key] === "" || next[key] === undefined) delete next[key];
        return next;
      }),
    });
  const queueSelect = (value: string | undefined, onSelect: (sid: string) => void, label: string) => (
    <select
      aria-label={label}
      value={value ?? ""}
      onChange={(e) => onSelect(e.target.value)}
      className={inputClass}
    >
      <option value="">{t("flows.panel.choose")}</option>
      {queues.map((q) => (
        <option key={q.sid} value={q.sid}>
          {q.friendly_name}
        </option>
      ))}
    </select>
  );

  return (
    <section className="flex flex-col gap-2">
      <div className="flex gap-2 text-sm" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={!asJson}
          disabled={!!problem}
          onClick={() => setAsJson(false)}
          className={!asJson ? "font-semibold" : "text-blue-700 underline"}
        >
          {t("admin.workflows.form")}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={asJson}
          onClick={() => setAsJson(true)}
          className={asJson ? "font-semibold" : "text-blue-700 underline"}
        >
          JSON
        </button>
      </div>
      {asJson || !routing ? (
        <>
          <textarea
            aria-label={t("admin.workflows.configuration")}
            rows={14}
            value={json}
            onChange={(e) => onChange(e.target.value)}
            className={`${inputClass} font-mono text-xs`}
          />
          {problem && <p className="text-sm text-red-700">{problem}</p>}
        </>
      ) : (
        <div className="flex flex-col gap-3 text-sm">
          {filters.map((filter, index) => (
            <fieldset key={index} className="rounded border border-slate-200 p-2">
              <legend className="px-1 font-medium">
                {t("admin.workflows.filter", { number: index + 1 })}
              </legend>
              <div className="grid grid-cols-2 gap-2">
                <Field label={t("common.name")}>
                  <input
                    value={filter.filter_friendly_name ?? ""}
                    onChange={(e) => setFilter(index, { filter_friendly_name: e.target.value })}
                    className={inputClass}
                  />
                </Field>
                <Field label={t("admin.workflows.matches")}>
                  <input
                    value={filter.expression}
                    onChange={(e) => setFilter(index, { expression: e.target.value })}
                    className={`${inputClass} font-mono text-xs`}
                  />
                </Field>
              </div>
              <ol className="mt-2 flex flex-col gap-1">
                {filter.targets.map((target, step) => (
                  <li key={step} className="flex flex-wrap items-end gap-2">
                    <span className="text-slate-500">{t("admin.workflows.step", { number: step + 1 })}</span>
                    {queueSelect(
                      target.queue,
                      (queue) => setTarget(index, step, { queue }),
                      t("admin.workflows.queue"),
                    )}
                    <input
                      aria-label={t("admin.workflows.workerExpression")}
                      placeholder={t("admin.workflows.workerExpression")}
                      value={target.expression ?? ""}
                      onChange={(e) => setTarget(index, step, { expression: e.target.value })}
                      className={`${inputClass} font-mono text-xs`}
                    />
                    <input
                      aria-label={t("admin.workflows.priority")}
                      placeholder={t("admin.workflows.priority")}
                      value={target.priority ?? ""}
                      onChange={(e) =>
                        setTarget(index, step, {
                          priority: e.target.value === "" ? "" : Number(e.target.value),
                        })
                      }
                      className={`${inputClass} w-20`}
                    />
                    <input
                      aria-label={t("admin.workflows.timeout")}
                      placeholder={t("admin.workflows.timeout")}
                      value={target.timeout ?? ""}
                      onChange={(e) =>
                        setTarget(index, step, {
                          timeout: e.target.value === "" ? "" : Number(e.target.value),
                        })
                      }
                      className={`${inputClass} w-24`}
                    />
                    <button
                      type="button"
                      onClick={() =>
                        setFilter(index, { targets: filter.targets.filter((_, i) => i !== step) })
                      }
                      className="text-red-700 underline"
                    >
                      {t("common.remove")}
                    </button>
                  </li>
                ))}
              </ol>
              <div className="mt-2 flex gap-3">
                <button
                  type="button"
                  onClick={() => setFilter(index, { targets: [...filter.targets, {}] })}
                  className="text-blue-700 underline"
                >
                  {t("admin.workflows.addStep")}
                </button>
                <button
                  type="button"
                  onClick={() => setFilters(filters.filter((_, i) => i !== index))}
                  className="text-red-700 underline"
                >
                  {t("admin.workflows.removeFilter")}
                </button>
              </div>
            </fieldset>
          ))}
          <button
            type="button"
            onClick={() =>
              setFilters([...filters, { filter_friendly_name: "", expression: "1==1", targets: [{}] }])
            }
            className={`${quietButtonClass} self-start`}
          >
            {t("admin.workflows.addFilter")}
          </button>
          <label className="flex items-center gap-2">
            {t("admin.workflows.defaultQueue")}
            {queueSelect(
              routing.task_routing.default_filter?.queue,
              (queue) => {
                const { default_filter: _old, ...rest } = routing.task_routing;
                write({ ...routing, task_routing: queue ? { ...rest, default_filter: { queue } } : rest });
              },
              t("admin.workflows.defaultQueue"),
            )}
          </label>
        </div>
      )}
    </section>
  );
}

/** The engine's verdict on the configuration as typed (a sample with no attributes compiles it). */
function ConfigurationCheck({ workspaceSid, json }: { workspaceSid: string; json: string }) {
  const { t } = useTranslation();
  const settled = useSettled(json, 400);
  const [problem, setProblem] = useState<string | null | undefined>();
  useEffect(() => {
    if (jsonProblem(settled)) return;
    let current = true;
    api("POST", `/switchboard/v1/Workspaces/${workspaceSid}/RoutingSamples`, {
      Configuration: settled,
      Attributes: "{}",
    }).then(
      () => current && setProblem(null),
      (e: unknown) => current && setProblem(failureText(e)),
    );
    return () => {
      current = false;
    };
  }, [workspaceSid, settled]);
  if (problem === undefined) return null;
  return (
    <p
      role="status"
      className={`text-sm ${problem ? "text-red-700" : "text-green-700"}`}
      data-testid="workflow-check"
    >
      {problem ?? t("admin.workflows.valid")}
    </p>
  );
}

function SampleTask({ workspaceSid, json }: { workspaceSid: string; json: string }) {
  const { t } = useTranslation();
  const channels = useList<{ unique_name: string }>(
    `/v1/Workspaces/${workspaceSid}/TaskChannels`,
    "channels",
  );
  const [attributes, setAttributes] = useState('{"type": "support"}');
  const [channel, setChannel] = useState("default");
  const [sample, setSample] = useState<Sample | undefined>();
  const [error, setError] = useState<string | undefined>();
  const route = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      setSample(
        await api<Sample>("POST", `/switchboard/v1/Workspaces/${workspaceSid}/RoutingSamples`, {
          Configuration: json,
          Attributes: attributes,
          TaskChannel: channel,
        }),
      );
    } catch (e) {
      setSample(undefined);
      setError(failureText(e));
    }
  };
  const verdicts: Record<string, string> = t("admin.sample.verdicts", { returnObjects: true });
  const names = new Map(
    sample?.steps.flatMap((s) => s.candidates.map((c) => [c.worker_sid, c.worker_name] as const)),
  );
  return (
    <section aria-label={t("admin.sample.title")} className="mt-4 border-t border-slate-200 pt-3">
      <h3 className="mb-2 font-medium">{t("admin.sample.title")}</h3>
      <form onSubmit={(e) => void route(e)} className="flex flex-wrap items-end gap-2">
        <Field label={t("admin.sample.attributes")}>
          <input
            value={attributes}
            onChange={(e) => setAttributes(e.target.value)}
            className={`${inputClass} w-80 font-mono text-xs`}
          />
        </Field>
        <Field label={t("admin.sample.channel")}>
          <select value={channel} onChange={(e) => setChannel(e.target.value)} className={inputClass}>
            {channels.items.map((c) => (
              <option key={c.unique_name} value={c.unique_name}>
                {c.unique_name}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={!!jsonProblem(attributes)} className={buttonClass}>
          {t("admin.sample.route")}
        </button>
      </form>
      <ErrorLine error={error} />
      {sample && (
        <div data-testid="sample-result" className="mt-3 flex flex-col gap-2 text-sm">
          <ul>
            {sample.filters.map((f) => (
              <li key={f.index} className={f.index === sample.filter ? "font-semibold" : ""}>
                {f.matches ? "✓" : "✗"} {f.name || t("admin.workflows.filter", { number: f.index + 1 })}{" "}
                <code className="text-xs">{f.expression}</code>
              </li>
            ))}
          </ul>
          <p>
            {sample.filter === null
              ? t("admin.sample.nowhere")
              : sample.filter === "default"
                ? t("admin.sample.defaultFilter")
                : t("admin.sample.takesFilter", {
                    name: sample.filters[sample.filter]?.name || sample.filter + 1,
                  })}
          </p>
          {sample.steps.map((step) => (
            <div key={step.step} className="rounded bg-slate-50 p-2">
              <p className="font-medium">
                {t("admin.workflows.step", { number: step.step + 1 })}: {step.task_queue_friendly_name}
                {step.expression && <code className="ml-2 text-xs">{step.expression}</code>}
                {step.timeout !== null && ` · ${t("admin.sample.timeoutAfter", { seconds: step.timeout })}`}
              </p>
              <p>
                {step.offer_to.length > 0
                  ? t("admin.sample.offeredTo", {
                      names: step.offer_to.map((sid) => names.get(sid) ?? sid).join(", "),
                    })
                  : step.skipped
                    ? t("admin.sample.skipped")
                    : t("admin.sample.waits", { count: step.waiting_ahead })}
              </p>
              <table className="mt-1 w-full text-left text-xs">
                <tbody>
                  {step.candidates.map((c) => (
                    <tr key={c.worker_sid}>
                      <td>{c.worker_name}</td>
                      <td>{verdicts[c.verdict] ?? c.verdict}</td>
                      <td className="text-slate-500">{c.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
