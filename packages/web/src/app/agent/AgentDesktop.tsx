import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, ApiFailure, DESKTOP } from "../api.ts";
import type { Me } from "../App.tsx";
import type { StreamListeners } from "../conversation.tsx";
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
 * Everything is re-read after the stream (re)connects, so a network drop loses nothing.
 */
export function AgentDesktop({ me }: { me: Me }) {
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
      if (task.reservation_status === "pending" && !known.current.has(task.reservation_sid)) ring(task);
      known.current.add(task.reservation_sid);
    }
  }, []);

  useEffect(() => {
    void refresh().catch((e: unknown) => setError(String(e)));
    if ("Notification" in window && Notification.permission === "default")
      void Notification.requestPermission();
    const stream = new Stream("worker", {
      onMessage: (message: StreamMessage) => {
        for (const listener of listeners) listener(message);
      },
      onRoutingChange: () => void refresh().catch(() => undefined),
      onReady: () => {
        setReady((n) => n + 1);
        void refresh().catch(() => undefined);
      },
      onConnectionChange: setConnected,
    });
    stream.start();
    return () => stream.stop();
  }, [refresh, listeners]);

  const run = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      await refresh();
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
    }
  };

  if (!desktop) return <p className="p-6 text-slate-500">{error ?? "Loading your desktop…"}</p>;
  const { worker } = desktop;
  const current =
    tasks.find((t) => t.task_sid === selected) ?? tasks.find((t) => t.reservation_status !== "pending");

  return (
    <div className="flex h-full">
      <aside
        aria-label="Your work"
        className="flex w-72 flex-col gap-3 border-r border-slate-200 bg-white p-3"
      >
        <label className="flex flex-col gap-1 text-sm">
          Activity
          <select
            value={worker.activity_sid}
            onChange={(e) =>
              void run(() => api("POST", `${DESKTOP}/Activity`, { ActivitySid: e.target.value }))
            }
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
            {connected ? "● Connected" : "● Reconnecting…"}
          </span>
        </p>
        <ul aria-label="Channel capacity" className="flex flex-wrap gap-2 text-xs">
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
        <h2 className="text-sm font-semibold">Tasks</h2>
        <ul aria-label="Tasks" className="flex flex-col gap-2">
          {tasks.length === 0 && <li className="text-sm text-slate-500">No tasks</li>}
          {tasks.map((task) => (
            <li key={task.reservation_sid} data-testid="task">
              {task.reservation_status === "pending" ? (
                <div role="alert" className="rounded border-2 border-blue-600 bg-blue-50 p-2">
                  <p className="text-sm font-medium">
                    Incoming {task.task_channel}: {customerName(task)}
                  </p>
                  <p className="text-xs text-slate-600">{task.queue_name}</p>
                  <div className="mt-2 flex gap-2">
                    <button
                      type="button"
                      onClick={() =>
                        void run(async () => {
                          await api("POST", `${DESKTOP}/Reservations/${task.reservation_sid}`, {
                            ReservationStatus: "accepted",
                          });
                          setSelected(task.task_sid);
                        })
                      }
                      className="rounded bg-green-700 px-3 py-1 text-sm text-white"
                    >
                      Accept
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        void run(() =>
                          api("POST", `${DESKTOP}/Reservations/${task.reservation_sid}`, {
                            ReservationStatus: "rejected",
                          }),
                        )
                      }
                      className="rounded bg-slate-200 px-3 py-1 text-sm"
                    >
                      Reject
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
                  <span className="font-medium">{customerName(task)}</span>
                  <span className="block text-xs text-slate-600">
                    {task.task_channel} · {task.task_status}
                  </span>
                </button>
              )}
            </li>
          ))}
        </ul>
        <ErrorLine error={error} />
      </aside>
      <section aria-label="Selected task" className="flex min-w-0 flex-1">
        {current && current.reservation_status !== "pending" ? (
          <TaskWorkspace
            key={current.task_sid}
            task={current}
            desktop={desktop}
            self={worker.friendly_name}
            listeners={listeners}
            readySignal={ready}
            run={run}
          />
        ) : (
          <p className="m-auto text-slate-500">{me.friendly_name}, your accepted tasks show here.</p>
        )}
      </section>
    </div>
  );
}

export function customerName(task: Assignment): string {
  const attributes = task.task_attributes;
  const name = attributes.customerName ?? attributes.name ?? attributes.from;
  return typeof name === "string" && name !== "" ? name : "Customer";
}
