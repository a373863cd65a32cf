import type { TaskView } from "@switchboard/plugin-api";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import i18next from "i18next";
import { useTranslation } from "react-i18next";
import { api, ApiFailure, DESKTOP } from "../api.ts";
import type { Me } from "../App.tsx";
import type { StreamListeners } from "../conversation.tsx";
import { ActionAborted, PluginHost } from "../plugins/host.ts";
import { Slot } from "../plugins/Slot.tsx";
import { Stream, type StreamMessage } from "../stream.ts";
import { ring } from "./ring.ts";
import { TaskWorkspace } from "./TaskWorkspace.tsx";
import { ErrorLine } from "../../shared/ErrorLine.tsx";

export interface DesktopState {
  worker: {
    sid: string;
    friendly_name: string;
    activity_sid: string;
    activity_name: string;
    channels: Array<{ unique_name: string; capacity: number; active: number; available: boolean }>;
  };
  activities: Array<{ sid: string; friendly_name: string; available: boolean }>;
  queues: Array<{ sid: string; friendly_name: string }>;
  workers: Array<{ sid: string; friendly_name: string; available: boolean }>;
  settings: {
    canned_responses: Array<{ title: string; body: string }>;
    disposition_codes: string[];
    crm_url_template: string;
    /** Plugin modules to load (desktop settings). */
    plugins: string[];
  };
}

export interface Assignment {
  reservation_sid: string;
  reservation_status: string;
  task_sid: string;
  task_status: string | null;
  task_channel: string | null;
  task_attributes: Record<string, unknown>;
  task_age: number;
  queue_name: string | null;
  conversation_sid: string | null;
}

/**
 * The agent's desktop: activity, the tasks that ring or are held (across channels, with each
 * channel's capacity), and the selected task's conversation, customer context and actions.
 * Everything is re-read after the stream (re)connects, so a network drop loses nothing. Every
 * action goes through the plugin host, so enabled plugins can watch, block, change or replace it.
 */
export function AgentDesktop({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  // One host per page: plugins start once and cannot be taken back, so a changed plugin list or
  // language reaches them on the next page load.
  const [host] = useState(
    () => new PluginHost({ sid: me.sid, friendlyName: me.friendly_name, role: me.role }, i18n.language),
  );
  const [plugins, setPlugins] = useState<"loading" | "ready">("loading");
  const [desktop, setDesktop] = useState<DesktopState | undefined>();
  const [tasks, setTasks] = useState<Assignment[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);
  const [ready, setReady] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const listeners: StreamListeners = useMemo(() => new Set(), []);
  const known = useRef(new Set<string>());

  const refresh = useCallback(async () => {
    const [state, held] = await Promise.all([
      api<DesktopState>("GET", DESKTOP),
      api<{ tasks: Assignment[] }>("GET", `${DESKTOP}/Tasks`),
    ]);
    setDesktop(state);
    setTasks(held.tasks);
    for (const task of held.tasks) {
      if (task.reservation_status === "pending" && !known.current.has(task.reservation_sid)) {
        ring({
          title: i18next.t("agent.notificationTitle"),
          body: i18next.t("agent.incoming", {
            channel: task.task_channel,
            name: customerName(task) ?? i18next.t("agent.customer"),
          }),
        });
        host.emit("taskOffered", { task: taskView(task) });
      }
      known.current.add(task.reservation_sid);
    }
  }, [host]);

  // The desktop's own actions: what runs unless a plugin replaced it.
  useEffect(() => {
    const reservation =
      (status: string) =>
      async ({ task }: { task: TaskView }) => {
        await api("POST", `${DESKTOP}/Reservations/${task.reservationSid}`, { ReservationStatus: status });
      };
    host.implement("AcceptTask", reservation("accepted"));
    host.implement("RejectTask", reservation("rejected"));
    host.implement("SetActivity", async ({ activitySid }) => {
      await api("POST", `${DESKTOP}/Activity`, { ActivitySid: activitySid });
    });
    host.implement("TransferTask", async ({ task, to, note }) => {
      await api("POST", `${DESKTOP}/Tasks/${task.sid}/Transfer`, { To: to, Note: note });
    });
    const finish =
      (status: string) =>
      async ({ task, disposition }: { task: TaskView; disposition?: string }) => {
        await api("POST", `${DESKTOP}/Tasks/${task.sid}`, {
          AssignmentStatus: status,
          Disposition: disposition,
        });
      };
    host.implement("WrapUpTask", finish("wrapping"));
    host.implement("CompleteTask", finish("completed"));
    host.implement("SendMessage", async ({ task, body }) => {
      if (!task.conversationSid) throw new Error("The task carries no conversation");
      await api("POST", `${DESKTOP}/Conversations/${task.conversationSid}/Messages`, {
        Body: body,
        ClientId: crypto.randomUUID(),
      });
    });
  }, [host]);

  // Plugins start before any task shows: a plugin that guards accepting is in place first.
  const pluginUrls = desktop?.settings.plugins;
  const loading = useRef(false);
  useEffect(() => {
    if (pluginUrls === undefined || loading.current) return;
    loading.current = true;
    void host.load(pluginUrls).then((failures) => {
      if (failures.length > 0) setError(t("agent.pluginFailed", { failures: failures.join("; ") }));
      setPlugins("ready");
    });
  }, [host, pluginUrls, t]);

  useEffect(() => {
    void refresh().catch((e: unknown) => setError(String(e)));
    if ("Notification" in window && Notification.permission === "default")
      void Notification.requestPermission();
    const stream = new Stream("worker", {
      onMessage: (message: StreamMessage) => {
        for (const listener of listeners) listener(message);
        if (message.type === "event" && message.event_type === "conversation.message.added")
          host.emit("messageAdded", {
            conversationSid: message.data.ConversationSid ?? "",
            author: message.data.Author ?? "",
            body: message.data.Body ?? "",
          });
      },
      onRoutingChange: () => void refresh().catch(() => undefined),
      onReady: () => {
        setReady((n) => n + 1);
        void refresh().catch(() => undefined);
      },
      onConnectionChange: (connected) => {
        setConnected(connected);
        host.emit("connectionChanged", { connected });
      },
    });
    stream.start();
    return () => stream.stop();
  }, [refresh, listeners, host]);

  const run = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      await refresh();
    } catch (e) {
      setError(e instanceof ApiFailure || e instanceof ActionAborted ? e.message : String(e));
    }
  };

  if (!desktop || plugins === "loading")
    return <p className="p-6 text-slate-500">{error ?? t("agent.loading")}</p>;
  const { worker } = desktop;
  const current =
    tasks.find((t) => t.task_sid === selected) ?? tasks.find((t) => t.reservation_status !== "pending");

  return (
    <div className="flex h-full">
      <aside
        aria-label={t("agent.yourWork")}
        className="flex w-72 flex-col gap-3 border-r border-slate-200 bg-white p-3"
      >
        <label className="flex flex-col gap-1 text-sm">
          {t("agent.activity")}
          <select
            value={worker.activity_sid}
            onChange={(e) => void run(() => host.invoke("SetActivity", { activitySid: e.target.value }))}
            className="rounded border border-slate-300 px-2 py-1"
          >
            {desktop.activities.map((a) => (
              <option key={a.sid} value={a.sid}>
                {a.friendly_name}
              </option>
            ))}
          </select>
        </label>
        <p className="text-xs" role="status">
          <span className={connected ? "text-green-700" : "text-red-700"}>
            {connected ? `● ${t("agent.connected")}` : `● ${t("agent.reconnecting")}`}
          </span>
        </p>
        <ul aria-label={t("agent.capacity")} className="flex flex-wrap gap-2 text-xs">
          {worker.channels
            .filter((c) => c.capacity > 0)
            .map((c) => (
              <li
                key={c.unique_name}
                className="rounded bg-slate-100 px-2 py-1"
                data-testid={`capacity-${c.unique_name}`}
              >
                {c.unique_name} {c.active}/{c.capacity}
              </li>
            ))}
        </ul>
        <h2 className="text-sm font-semibold">{t("agent.tasks")}</h2>
        <ul aria-label={t("agent.tasks")} className="flex flex-col gap-2">
          {tasks.length === 0 && <li className="text-sm text-slate-500">{t("agent.noTasks")}</li>}
          {tasks.map((task) => (
            <li key={task.reservation_sid} data-testid="task">
              {task.reservation_status === "pending" ? (
                <div role="alert" className="rounded border-2 border-blue-600 bg-blue-50 p-2">
                  <p className="text-sm font-medium">
                    {t("agent.incoming", {
                      channel: task.task_channel,
                      name: customerName(task) ?? t("agent.customer"),
                    })}
                  </p>
                  <p className="text-xs text-slate-600">{task.queue_name}</p>
                  <Slot
                    host={host}
                    name="incoming-task"
                    context={{ task: taskView(task), language: i18n.language }}
                  />
                  <div className="mt-2 flex gap-2">
                    <button
                      type="button"
                      onClick={() =>
                        void run(async () => {
                          await host.invoke("AcceptTask", { task: taskView(task) });
                          setSelected(task.task_sid);
                        })
                      }
                      className="rounded bg-green-700 px-3 py-1 text-sm text-white"
                    >
                      {t("agent.accept")}
                    </button>
                    <button
                      type="button"
                      onClick={() => void run(() => host.invoke("RejectTask", { task: taskView(task) }))}
                      className="rounded bg-slate-200 px-3 py-1 text-sm"
                    >
                      {t("agent.reject")}
                    </button>
                  </div>
                </div>
              ) : (
                <button
                  type="button"
                  onClick={() => setSelected(task.task_sid)}
                  aria-pressed={current?.task_sid === task.task_sid}
                  className={`w-full rounded border p-2 text-left text-sm ${
                    current?.task_sid === task.task_sid ? "border-blue-600 bg-blue-50" : "border-slate-200"
                  }`}
                >
                  <span className="font-medium">{customerName(task) ?? t("agent.customer")}</span>
                  <span className="block text-xs text-slate-600">
                    {task.task_channel} · {task.task_status}
                  </span>
                </button>
              )}
            </li>
          ))}
        </ul>
        <Slot host={host} name="sidebar" context={{ task: undefined, language: i18n.language }} />
        <ErrorLine error={error} />
      </aside>
      <section aria-label={t("agent.selectedTask")} className="flex min-w-0 flex-1">
        {current && current.reservation_status !== "pending" ? (
          <TaskWorkspace
            key={current.task_sid}
            task={current}
            desktop={desktop}
            self={worker.friendly_name}
            listeners={listeners}
            readySignal={ready}
            run={run}
            host={host}
          />
        ) : (
          <p className="m-auto text-slate-500">{t("agent.emptyWorkspace", { name: me.friendly_name })}</p>
        )}
      </section>
    </div>
  );
}

/** The customer's name from the task's attributes; undefined when the task does not say. */
export function customerName(task: Assignment): string | undefined {
  const attributes = task.task_attributes;
  const name = attributes.customerName ?? attributes.name ?? attributes.from;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** A task as plugins see it. */
export function taskView(task: Assignment): TaskView {
  return {
    sid: task.task_sid,
    reservationSid: task.reservation_sid,
    reservationStatus: task.reservation_status,
    status: task.task_status,
    channel: task.task_channel,
    queueName: task.queue_name,
    conversationSid: task.conversation_sid,
    attributes: task.task_attributes,
  };
}
