import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, DESKTOP, upload } from "../api.ts";
import { customerNames, MessageList, useConversation, type StreamListeners } from "../conversation.tsx";
import { ActionAborted, type PluginHost } from "../plugins/host.ts";
import { Slot } from "../plugins/Slot.tsx";
import { taskView, type Assignment, type DesktopState } from "./AgentDesktop.tsx";

interface Props {
  task: Assignment;
  desktop: DesktopState;
  self: string;
  listeners: StreamListeners;
  readySignal: number;
  run: (work: () => Promise<unknown>) => Promise<void>;
  host: PluginHost;
}

/** The selected task: its conversation, the customer's context and what the agent can do with it. */
export function TaskWorkspace({ task, desktop, self, listeners, readySignal, run, host }: Props) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <div className="flex min-w-0 flex-1 flex-col">
        {task.conversation_sid ? (
          <Conversation
            task={task}
            host={host}
            conversationSid={task.conversation_sid}
            names={customerNames(task.task_attributes)}
            desktop={desktop}
            self={self}
            listeners={listeners}
            readySignal={readySignal}
            disabled={task.task_status !== "assigned"}
          />
        ) : (
          <p className="m-auto text-slate-500">{t("task.noConversation")}</p>
        )}
      </div>
      <aside
        aria-label={t("task.customerAndActions")}
        className="flex w-80 flex-col gap-4 overflow-y-auto border-l border-slate-200 bg-white p-3"
      >
        <CustomerContext task={task} template={desktop.settings.crm_url_template} />
        <Slot host={host} name="task-context" context={{ task: taskView(task), language: i18n.language }} />
        <Actions task={task} desktop={desktop} run={run} host={host} />
      </aside>
    </>
  );
}

function Conversation({
  task,
  host,
  conversationSid,
  desktop,
  self,
  listeners,
  readySignal,
  disabled,
  names,
}: {
  task: Assignment;
  host: PluginHost;
  conversationSid: string;
  names: Record<string, string>;
  desktop: DesktopState;
  self: string;
  listeners: StreamListeners;
  readySignal: number;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const { messages, whispers, typing, reload } = useConversation(conversationSid, listeners, readySignal);
  const [draft, setDraft] = useState("");
  const [file, setFile] = useState<File | undefined>();
  const [pending, setPending] = useState<Array<{ clientId: string; body: string; mediaSid?: string }>>([]);
  const [status, setStatus] = useState<string | undefined>();
  const typedAt = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);

  /** Sends what is pending, oldest first; a message that fails stays and is sent again (same ClientId, stored once). */
  const flush = async (queue: Array<{ clientId: string; body: string; mediaSid?: string }>) => {
    for (const message of queue) {
      try {
        await api("POST", `${DESKTOP}/Conversations/${conversationSid}/Messages`, {
          Body: message.body,
          ClientId: message.clientId,
          MediaSid: message.mediaSid,
        });
        setPending((held) => held.filter((m) => m.clientId !== message.clientId));
        setStatus(undefined);
      } catch {
        setStatus(t("task.notSentYet"));
        setTimeout(() => void flush([message]), 2_000);
        return;
      }
    }
    await reload();
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!draft.trim() && !file) return;
    let mediaSid: string | undefined;
    if (file) {
      try {
        mediaSid = (await upload(`${DESKTOP}/Media`, file)).sid;
      } catch (e) {
        setStatus(t("task.fileNotSent", { reason: e instanceof Error ? e.message : String(e) }));
        return;
      }
      setFile(undefined);
      if (fileInput.current) fileInput.current.value = "";
    }
    // Through the action registry: a plugin may check or change the reply first. The desktop's
    // own sending keeps the message until the server has it (same ClientId on every retry).
    try {
      await host.invoke("SendMessage", { task: taskView(task), body: draft }, async ({ body }) => {
        const message = { clientId: crypto.randomUUID(), body, ...(mediaSid && { mediaSid }) };
        setDraft("");
        setPending((held) => [...held, message]);
        await flush([message]);
      });
    } catch (e) {
      setStatus(e instanceof ActionAborted ? e.message : String(e));
    }
  };

  const onType = (value: string) => {
    setDraft(value);
    const now = Date.now();
    if (now - typedAt.current > 2_000) {
      typedAt.current = now;
      void api("POST", `${DESKTOP}/Conversations/${conversationSid}/Typing`).catch(() => undefined);
    }
  };

  return (
    <>
      <MessageList messages={messages} whispers={whispers} typing={typing} self={self} names={names} />
      {pending.length > 0 && (
        <ul aria-label={t("task.unsent")} className="px-3 text-sm text-slate-500">
          {pending.map((m) => (
            <li key={m.clientId}>{t("task.sending", { body: m.body })}</li>
          ))}
        </ul>
      )}
      {status && (
        <p role="status" className="px-3 text-sm text-amber-700">
          {status}
        </p>
      )}
      <form
        onSubmit={(e) => void send(e)}
        className="flex flex-col gap-2 border-t border-slate-200 bg-white p-3"
      >
        <div className="flex gap-2">
          <label className="sr-only" htmlFor="canned">
            {t("task.canned")}
          </label>
          <select
            id="canned"
            value=""
            onChange={(e) => e.target.value && setDraft((d) => (d ? `${d} ` : "") + e.target.value)}
            className="rounded border border-slate-300 px-2 py-1 text-sm"
            disabled={disabled}
          >
            <option value="">{t("task.cannedChoose")}</option>
            {desktop.settings.canned_responses.map((c) => (
              <option key={c.title} value={c.body}>
                {c.title}
              </option>
            ))}
          </select>
          <label className="text-sm">
            <span className="sr-only">{t("task.attach")}</span>
            <input
              ref={fileInput}
              type="file"
              onChange={(e) => setFile(e.target.files?.[0])}
              disabled={disabled}
              className="text-sm"
            />
          </label>
        </div>
        <div className="flex gap-2">
          <label htmlFor="reply" className="sr-only">
            {t("task.reply")}
          </label>
          <textarea
            id="reply"
            rows={2}
            value={draft}
            disabled={disabled}
            onChange={(e) => onType(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
            placeholder={disabled ? t("task.wrappingUp") : t("task.replyPlaceholder")}
            className="flex-1 rounded border border-slate-300 px-2 py-1"
          />
          <button
            type="submit"
            disabled={disabled}
            className="rounded bg-blue-700 px-4 text-white disabled:opacity-50"
          >
            {t("task.send")}
          </button>
        </div>
      </form>
    </>
  );
}

/** Pre-chat answers and task attributes, and the customer's CRM record when the admin set a URL. */
function CustomerContext({ task, template }: { task: Assignment; template: string }) {
  const { t } = useTranslation();
  const attributes = task.task_attributes;
  const answers = (attributes.pre_engagement_data ?? {}) as Record<string, unknown>;
  const crmUrl = template ? fillTemplate(template, attributes) : undefined;
  return (
    <section aria-label={t("task.customer")}>
      <h2 className="text-sm font-semibold">{t("task.customer")}</h2>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 text-sm">
        {Object.entries({
          [t("task.name")]: attributes.customerName,
          [t("task.channel")]: task.task_channel,
          [t("task.queue")]: task.queue_name,
          ...answers,
        })
          .filter(([, v]) => v !== undefined && v !== null && v !== "")
          .map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-slate-500">{k}</dt>
              <dd className="break-words">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
      </dl>
      {crmUrl && (
        <iframe
          title={t("task.crm")}
          src={crmUrl}
          className="mt-2 h-64 w-full rounded border border-slate-200"
        />
      )}
    </section>
  );
}

/** `{{task.a.b}}` → the task's attribute, URL-encoded (missing: empty). */
export function fillTemplate(template: string, attributes: Record<string, unknown>): string {
  return template.replace(/\{\{\s*task\.([\w.]+)\s*\}\}/g, (_match, path: string) => {
    let value: unknown = attributes;
    for (const key of path.split("."))
      value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    return value === undefined || value === null
      ? ""
      : encodeURIComponent(typeof value === "string" ? value : JSON.stringify(value));
  });
}

function Actions({
  task,
  desktop,
  run,
  host,
}: {
  task: Assignment;
  desktop: DesktopState;
  run: Props["run"];
  host: PluginHost;
}) {
  const { t } = useTranslation();
  const [target, setTarget] = useState("");
  const [note, setNote] = useState("");
  const [disposition, setDisposition] = useState("");
  const assigned = task.task_status === "assigned";
  const codes = desktop.settings.disposition_codes;
  return (
    <section aria-label={t("task.actions")} className="flex flex-col gap-4">
      {assigned && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (target)
              void run(() => host.invoke("TransferTask", { task: taskView(task), to: target, note }));
          }}
          className="flex flex-col gap-2"
        >
          <h2 className="text-sm font-semibold">{t("task.transfer")}</h2>
          <label className="flex flex-col gap-1 text-sm">
            {t("task.transferTo")}
            <select
              value={target}
              onChange={(e) => setTarget(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="">{t("task.chooseTarget")}</option>
              <optgroup label={t("task.queues")}>
                {desktop.queues.map((q) => (
                  <option key={q.sid} value={q.sid}>
                    {q.friendly_name}
                  </option>
                ))}
              </optgroup>
              <optgroup label={t("task.agents")}>
                {desktop.workers.map((w) => (
                  <option key={w.sid} value={w.sid}>
                    {w.friendly_name}
                    {w.available ? "" : ` (${t("task.unavailable")})`}
                  </option>
                ))}
              </optgroup>
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            {t("task.note")}
            <input
              value={note}
              onChange={(e) => setNote(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <button
            type="submit"
            disabled={!target}
            className="rounded bg-slate-700 px-3 py-1 text-sm text-white disabled:opacity-50"
          >
            {t("task.transfer")}
          </button>
        </form>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const view = taskView(task);
          void run(() =>
            assigned
              ? host.invoke("WrapUpTask", { task: view, disposition: disposition || undefined })
              : host.invoke("CompleteTask", { task: view, disposition: disposition || undefined }),
          );
        }}
        className="flex flex-col gap-2"
      >
        <h2 className="text-sm font-semibold">{assigned ? t("task.wrapUp") : t("task.complete")}</h2>
        {codes.length > 0 && (
          <label className="flex flex-col gap-1 text-sm">
            {t("task.disposition")}
            <select
              value={disposition}
              onChange={(e) => setDisposition(e.target.value)}
              required
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="">{t("task.choose")}</option>
              {codes.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" className="rounded bg-blue-700 px-3 py-1 text-sm text-white">
          {assigned ? t("task.wrapUp") : t("task.completeTask")}
        </button>
      </form>
    </section>
  );
}
