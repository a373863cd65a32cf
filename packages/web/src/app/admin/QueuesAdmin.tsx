import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import {
  buttonClass,
  failureText,
  Field,
  inputClass,
  Panel,
  quietButtonClass,
  useAttempt,
  useList,
  useSettled,
  DeleteButton,
} from "./common.tsx";

interface Queue {
  sid: string;
  friendly_name: string;
  target_workers: string;
  max_reserved_workers: number;
  task_order: "FIFO" | "LIFO";
}

type Draft = Omit<Queue, "sid"> & { sid: string | undefined };

const NEW_QUEUE: Draft = {
  sid: undefined,
  friendly_name: "",
  target_workers: "1==1",
  max_reserved_workers: 1,
  task_order: "FIFO",
};

/** Task queues, each edited with a live preview of the workers its TargetWorkers expression takes in. */
export function QueuesAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const base = `/v1/Workspaces/${workspaceSid}/TaskQueues`;
  const queues = useList<Queue>(base, "task_queues");
  const { error, attempt } = useAttempt(queues.reload);
  const [draft, setDraft] = useState<Draft | undefined>();

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    void attempt(async () => {
      await api("POST", draft.sid ? `${base}/${draft.sid}` : base, {
        FriendlyName: draft.friendly_name,
        TargetWorkers: draft.target_workers,
        MaxReservedWorkers: String(draft.max_reserved_workers),
        TaskOrder: draft.task_order,
      });
      setDraft(undefined);
    });
  };

  return (
    <>
      <Panel title={t("admin.section.queues")}>
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-slate-500">
              <th>{t("common.name")}</th>
              <th>{t("admin.queues.targetWorkers")}</th>
              <th>{t("admin.queues.order")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {queues.items.map((queue) => (
              <tr key={queue.sid} className="border-t border-slate-100">
                <td>{queue.friendly_name}</td>
                <td className="font-mono text-xs">{queue.target_workers}</td>
                <td>{queue.task_order}</td>
                <td className="flex gap-2">
                  <button type="button" onClick={() => setDraft(queue)} className="text-blue-700 underline">
                    {t("common.edit")}
                  </button>
                  <DeleteButton path={`${base}/${queue.sid}`} attempt={attempt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => setDraft(NEW_QUEUE)} className={`${buttonClass} mt-3`}>
          {t("admin.queues.new")}
        </button>
        <ErrorLine error={queues.error} />
      </Panel>
      {draft && (
        <Panel
          title={draft.sid ? t("admin.queues.editing", { name: draft.friendly_name }) : t("admin.queues.new")}
        >
          <form onSubmit={save} className="grid grid-cols-2 gap-3">
            <Field label={t("common.name")}>
              <input
                required
                value={draft.friendly_name}
                onChange={(e) => setDraft({ ...draft, friendly_name: e.target.value })}
                className={inputClass}
              />
            </Field>
            <div className="flex gap-3">
              <Field label={t("admin.queues.maxReserved")}>
                <input
                  type="number"
                  min={1}
                  max={50}
                  value={draft.max_reserved_workers}
                  onChange={(e) => setDraft({ ...draft, max_reserved_workers: Number(e.target.value) })}
                  className={`${inputClass} w-24`}
                />
              </Field>
              <Field label={t("admin.queues.order")}>
                <select
                  value={draft.task_order}
                  onChange={(e) => setDraft({ ...draft, task_order: e.target.value as Queue["task_order"] })}
                  className={inputClass}
                >
                  <option value="FIFO">FIFO</option>
                  <option value="LIFO">LIFO</option>
                </select>
              </Field>
            </div>
            <div className="col-span-2">
              <Field label={t("admin.queues.targetWorkers")}>
                <input
                  value={draft.target_workers}
                  onChange={(e) => setDraft({ ...draft, target_workers: e.target.value })}
                  className={`${inputClass} font-mono`}
                />
              </Field>
            </div>
            <div className="col-span-2">
              <TargetPreview workspaceSid={workspaceSid} expression={draft.target_workers} />
            </div>
            <div className="col-span-2 flex gap-2">
              <button type="submit" className={buttonClass}>
                {t("common.save")}
              </button>
              <button type="button" onClick={() => setDraft(undefined)} className={quietButtonClass}>
                {t("common.cancel")}
              </button>
            </div>
          </form>
          <ErrorLine error={error} />
        </Panel>
      )}
    </>
  );
}

/**
 * The workers an expression matches, asked of the server as it is typed (the TaskRouter Workers
 * list's TargetWorkersExpression filter: the engine's own evaluation), or why it does not parse.
 */
function TargetPreview({ workspaceSid, expression }: { workspaceSid: string; expression: string }) {
  const { t } = useTranslation();
  const settled = useSettled(expression, 250);
  const [result, setResult] = useState<
    { expression: string; names?: string[]; problem?: string } | undefined
  >();
  useEffect(() => {
    let current = true;
    const query = new URLSearchParams({ TargetWorkersExpression: settled || "1==1", PageSize: "1000" });
    api<{ workers: Array<{ friendly_name: string }> }>(
      "GET",
      `/v1/Workspaces/${workspaceSid}/Workers?${query}`,
    ).then(
      (page) =>
        current && setResult({ expression: settled, names: page.workers.map((w) => w.friendly_name) }),
      (e: unknown) => current && setResult({ expression: settled, problem: failureText(e) }),
    );
    return () => {
      current = false;
    };
  }, [workspaceSid, settled]);
  const stale = result?.expression !== expression;
  return (
    <section
      aria-label={t("admin.queues.preview")}
      aria-busy={stale}
      className="rounded bg-slate-50 p-2 text-sm"
    >
      <h3 className="font-medium">{t("admin.queues.preview")}</h3>
      {result?.problem && <p className="text-red-700">{result.problem}</p>}
      {result?.names && (
        <>
          <p data-testid="preview-count">{t("admin.queues.matches", { count: result.names.length })}</p>
          <ul data-testid="preview-workers" className="flex flex-wrap gap-1">
            {result.names.map((name) => (
              <li key={name} className="rounded bg-white px-2 py-0.5">
                {name}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
