import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { buttonClass, failureText, inputClass, quietButtonClass } from "../admin/common.tsx";
import { ErrorLine } from "../../shared/ErrorLine.tsx";

interface Run {
  conversation_sid: string;
  identity: string;
  revision: number;
}

interface Line {
  sid: string;
  mine: boolean;
  body: string;
}

/** How often the panel looks for the flow's answers and where the execution is. */
const POLL_MS = 700;

/**
 * Plays a conversation against the flow's saved draft: a real chat conversation whose studio
 * webhook runs the latest revision (POST /switchboard/v1/Flows/{FW}/TestRuns). The admin types as
 * the customer; the flow's messages come back as they would to a customer, and the widget the
 * execution is at lights up on the canvas.
 */
export function TestRun({
  flowSid,
  onClose,
  onWidget,
}: {
  flowSid: string;
  onClose: () => void;
  onWidget: (widget: string | undefined) => void;
}) {
  const { t } = useTranslation();
  const [run, setRun] = useState<Run | undefined>();
  const [lines, setLines] = useState<Line[]>([]);
  const [ended, setEnded] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();

  const start = async () => {
    setError(undefined);
    setLines([]);
    setEnded(false);
    onWidget(undefined);
    try {
      setRun(await api<Run>("POST", `/switchboard/v1/Flows/${flowSid}/TestRuns`));
    } catch (e) {
      setError(failureText(e));
    }
  };
  // A run starts when the panel opens (once, even when React runs effects twice); "Start over" starts another.
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current) return;
    opened.current = true;
    void start();
  });
  useEffect(() => () => onWidget(undefined), [onWidget]);

  useEffect(() => {
    if (!run) return;
    let stopped = false;
    const look = async () => {
      const [messages, executions] = await Promise.all([
        api<{ messages: Array<{ sid: string; author: string; body: string | null }> }>(
          "GET",
          `/v1/Conversations/${run.conversation_sid}/Messages?PageSize=200`,
        ),
        api<{ executions: Array<{ sid: string; contact_channel_address: string; status: string }> }>(
          "GET",
          `/v2/Flows/${flowSid}/Executions?PageSize=20`,
        ),
      ]);
      if (stopped) return;
      setLines(
        messages.messages.map((m) => ({ sid: m.sid, mine: m.author === run.identity, body: m.body ?? "" })),
      );
      const execution = executions.executions.find((e) => e.contact_channel_address === run.identity);
      if (!execution) return;
      setEnded(execution.status === "ended");
      if (execution.status === "ended") return onWidget(undefined);
      const steps = await api<{ steps: Array<{ transitioned_to: string }> }>(
        "GET",
        `/v2/Flows/${flowSid}/Executions/${execution.sid}/Steps?PageSize=1000`,
      );
      if (!stopped) onWidget(steps.steps.at(-1)?.transitioned_to);
    };
    const timer = setInterval(() => void look().catch((e: unknown) => setError(failureText(e))), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [run, flowSid, onWidget]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!run || !text.trim()) return;
    try {
      await api("POST", `/v1/Conversations/${run.conversation_sid}/Messages`, {
        Author: run.identity,
        Body: text,
      });
      setText("");
    } catch (e) {
      setError(failureText(e));
    }
  };

  return (
    <aside
      aria-label={t("flows.testRun.title")}
      className="flex w-80 shrink-0 flex-col gap-2 border-l border-slate-200 bg-white p-3 text-sm"
    >
      <div className="flex items-center justify-between">
        <h2 className="font-semibold">{t("flows.testRun.title")}</h2>
        <button type="button" onClick={onClose} className="text-slate-600 underline">
          {t("common.close")}
        </button>
      </div>
      {run && (
        <p className="text-xs text-slate-500">{t("flows.testRun.running", { revision: run.revision })}</p>
      )}
      <ol aria-label={t("flows.testRun.transcript")} className="flex flex-1 flex-col gap-1 overflow-y-auto">
        {lines.map((line) => (
          <li
            key={line.sid}
            className={`max-w-[85%] rounded px-2 py-1 ${line.mine ? "self-end bg-blue-100" : "self-start bg-slate-100"}`}
          >
            {line.body}
          </li>
        ))}
      </ol>
      {ended && <p className="text-xs text-slate-500">{t("flows.testRun.ended")}</p>}
      <form onSubmit={(e) => void send(e)} className="flex gap-1">
        <input
          aria-label={t("flows.testRun.message")}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className={`${inputClass} min-w-0 flex-1`}
        />
        <button type="submit" disabled={!run} className={buttonClass}>
          {t("flows.testRun.send")}
        </button>
      </form>
      <button type="button" onClick={() => void start()} className={`${quietButtonClass} self-start`}>
        {t("flows.testRun.restart")}
      </button>
      <ErrorLine error={error} />
    </aside>
  );
}
