import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiFailure, DESKTOP } from "../api.ts";
import type { Me } from "../App.tsx";
import { customerName, type Assignment } from "../agent/AgentDesktop.tsx";
import { customerNames, MessageList, useConversation, type StreamListeners } from "../conversation.tsx";
import { Stream, type QueueFigures, type StreamMessage } from "../stream.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";

interface TeamMember {
  sid: string;
  friendly_name: string;
  attributes: Record<string, unknown>;
  activity_name: string;
  available: boolean;
  channels: Array<{ unique_name: string; capacity: number; active: number }>;
  tasks: Assignment[];
}

/**
 * The supervisor's views: real-time queues (pushed over the stream, no polling), the team with
 * each agent's activity and tasks, a live monitor of any chat with whisper and barge, and an editor
 * for an agent's skills and channel capacity.
 */
export function SupervisorView({ me }: { me: Me }) {
  const { t } = useTranslation();
  const [queues, setQueues] = useState<QueueFigures[]>([]);
  const [team, setTeam] = useState<TeamMember[]>([]);
  const [filter, setFilter] = useState("");
  const [activity, setActivity] = useState("");
  const [monitored, setMonitored] = useState<
    { conversationSid: string; agent: string; names: Record<string, string> } | undefined
  >();
  const [editing, setEditing] = useState<TeamMember | undefined>();
  const [ready, setReady] = useState(0);
  const listeners: StreamListeners = useMemo(() => new Set(), []);
  const stream = useRef<Stream | undefined>(undefined);

  const loadTeam = useCallback(async () => {
    setTeam((await api<{ workers: TeamMember[] }>("GET", `${DESKTOP}/Team`)).workers);
  }, []);

  useEffect(() => {
    void loadTeam();
    const s = new Stream("supervisor", {
      onMessage: (message: StreamMessage) => {
        for (const listener of listeners) listener(message);
        if (message.type === "statistics") setQueues(message.task_queues);
      },
      onRoutingChange: () => void loadTeam().catch(() => undefined),
      onReady: () => {
        setReady((n) => n + 1);
        void loadTeam().catch(() => undefined);
      },
      onConnectionChange: () => undefined,
    });
    stream.current = s;
    s.start();
    return () => s.stop();
  }, [loadTeam, listeners]);

  const monitor = (task: Assignment, agent: string) => {
    const conversationSid = task.conversation_sid!;
    if (monitored) stream.current?.unwatch(monitored.conversationSid);
    stream.current?.watch(conversationSid);
    setMonitored({ conversationSid, agent, names: customerNames(task.task_attributes) });
  };

  const activities = [...new Set(team.map((w) => w.activity_name))].sort();
  const shown = team.filter(
    (w) =>
      (!activity || w.activity_name === activity) &&
      (!filter ||
        `${w.friendly_name} ${JSON.stringify(w.attributes)}`.toLowerCase().includes(filter.toLowerCase())),
  );

  return (
    <div className="grid h-full grid-cols-[1fr_28rem] gap-4 overflow-hidden p-4">
      <div className="flex min-h-0 flex-col gap-4 overflow-y-auto">
        <section aria-label={t("supervisor.queues")}>
          <h2 className="mb-2 font-semibold">{t("supervisor.queues")}</h2>
          <table className="w-full bg-white text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th scope="col" className="p-2">
                  {t("supervisor.queue")}
                </th>
                <th scope="col" className="p-2">
                  {t("supervisor.waiting")}
                </th>
                <th scope="col" className="p-2">
                  {t("supervisor.longestWait")}
                </th>
                <th scope="col" className="p-2">
                  {t("supervisor.assigned")}
                </th>
                <th scope="col" className="p-2">
                  {t("supervisor.availableAgents")}
                </th>
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => (
                <tr
                  key={q.task_queue_sid}
                  data-testid={`queue-${q.friendly_name}`}
                  className="border-t border-slate-100"
                >
                  <th scope="row" className="p-2 text-left font-medium">
                    {q.friendly_name}
                  </th>
                  <td className="p-2" data-testid="waiting">
                    {(q.tasks_by_status.pending ?? 0) + (q.tasks_by_status.reserved ?? 0)}
                  </td>
                  <td className="p-2">{t("supervisor.seconds", { seconds: q.longest_task_waiting_age })}</td>
                  <td className="p-2">{q.tasks_by_status.assigned ?? 0}</td>
                  <td className="p-2">
                    {q.total_available_workers} / {q.total_eligible_workers}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section aria-label={t("supervisor.team")}>
          <div className="mb-2 flex items-end gap-3">
            <h2 className="font-semibold">{t("supervisor.team")}</h2>
            <label className="text-sm">
              <span className="sr-only">{t("supervisor.filterAgents")}</span>
              <input
                placeholder={t("supervisor.filterPlaceholder")}
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                className="rounded border border-slate-300 px-2 py-1"
              />
            </label>
            <label className="text-sm">
              <span className="sr-only">{t("agent.activity")}</span>
              <select
                value={activity}
                onChange={(e) => setActivity(e.target.value)}
                className="rounded border border-slate-300 px-2 py-1"
              >
                <option value="">{t("supervisor.allActivities")}</option>
                {activities.map((a) => (
                  <option key={a}>{a}</option>
                ))}
              </select>
            </label>
          </div>
          <ul className="flex flex-col gap-2">
            {shown.map((w) => (
              <li
                key={w.sid}
                data-testid={`agent-${w.friendly_name}`}
                className="rounded border border-slate-200 bg-white p-2 text-sm"
              >
                <div className="flex items-center gap-2">
                  <span className="font-medium">{w.friendly_name}</span>
                  <span className={w.available ? "text-green-700" : "text-slate-500"}>{w.activity_name}</span>
                  <span className="text-xs text-slate-500">
                    {w.channels
                      .filter((c) => c.capacity > 0)
                      .map((c) => `${c.unique_name} ${c.active}/${c.capacity}`)
                      .join(" · ")}
                  </span>
                  <button
                    type="button"
                    onClick={() => setEditing(w)}
                    className="ml-auto text-blue-700 underline"
                  >
                    {t("supervisor.edit", { name: w.friendly_name })}
                  </button>
                </div>
                <ul className="mt-1 flex flex-wrap gap-2">
                  {w.tasks.map((task) => (
                    <li key={task.reservation_sid}>
                      {task.conversation_sid ? (
                        <button
                          type="button"
                          onClick={() => monitor(task, w.friendly_name)}
                          className="rounded bg-slate-100 px-2 py-1 text-xs"
                        >
                          {t("supervisor.monitor", {
                            name: customerName(task) ?? t("agent.customer"),
                            channel: task.task_channel,
                            status: task.reservation_status,
                          })}
                        </button>
                      ) : (
                        <span className="rounded bg-slate-100 px-2 py-1 text-xs">
                          {task.task_channel} · {task.reservation_status}
                        </span>
                      )}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <div className="flex min-h-0 flex-col gap-4">
        {editing && <WorkerEditor worker={editing} onDone={() => (setEditing(undefined), void loadTeam())} />}
        {monitored ? (
          <Monitor
            key={monitored.conversationSid}
            {...monitored}
            me={me}
            listeners={listeners}
            readySignal={ready}
          />
        ) : (
          <p className="text-sm text-slate-500">{t("supervisor.chooseChat")}</p>
        )}
      </div>
    </div>
  );
}

function Monitor({
  conversationSid,
  agent,
  names,
  me,
  listeners,
  readySignal,
}: {
  conversationSid: string;
  agent: string;
  names: Record<string, string>;
  me: Me;
  listeners: StreamListeners;
  readySignal: number;
}) {
  const { t } = useTranslation();
  const { messages, whispers, typing, reload } = useConversation(conversationSid, listeners, readySignal);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const act = async (kind: "whisper" | "barge") => {
    if (!text.trim()) return;
    setError(undefined);
    try {
      const path = `${DESKTOP}/Conversations/${conversationSid}/${kind === "whisper" ? "Whisper" : "Messages"}`;
      await api("POST", path, { Body: text, ...(kind === "barge" && { ClientId: crypto.randomUUID() }) });
      setText("");
      await reload();
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
    }
  };
  return (
    <section
      aria-label={t("supervisor.liveMonitor")}
      className="flex min-h-0 flex-1 flex-col rounded border border-slate-200 bg-white"
    >
      <h2 className="border-b border-slate-200 p-2 font-semibold">{t("supervisor.monitoring", { agent })}</h2>
      <MessageList
        messages={messages}
        whispers={whispers}
        typing={typing}
        self={me.friendly_name}
        names={names}
      />
      <div className="flex flex-col gap-2 border-t border-slate-200 p-2">
        <label htmlFor="supervisor-note" className="text-sm">
          {t("supervisor.whisperTo", { agent })}
        </label>
        <textarea
          id="supervisor-note"
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="rounded border border-slate-300 px-2 py-1"
        />
        <div className="flex gap-2">
          <button
            type="button"
            onClick={() => void act("whisper")}
            className="rounded bg-amber-600 px-3 py-1 text-sm text-white"
          >
            {t("supervisor.whisper")}
          </button>
          <button
            type="button"
            onClick={() => void act("barge")}
            className="rounded bg-red-700 px-3 py-1 text-sm text-white"
          >
            {t("supervisor.barge")}
          </button>
        </div>
        <ErrorLine error={error} />
      </div>
    </section>
  );
}

function WorkerEditor({ worker, onDone }: { worker: TeamMember; onDone: () => void }) {
  const skills = Array.isArray(worker.attributes.skills) ? (worker.attributes.skills as string[]) : [];
  const { t } = useTranslation();
  const [skillText, setSkillText] = useState(skills.join(", "));
  const [capacities, setCapacities] = useState(
    Object.fromEntries(worker.channels.map((c) => [c.unique_name, c.capacity])),
  );
  const [error, setError] = useState<string | undefined>();
  const save = async () => {
    try {
      const nextSkills = skillText
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      await api("POST", `${DESKTOP}/Workers/${worker.sid}`, {
        Attributes: JSON.stringify({ ...worker.attributes, skills: nextSkills }),
        Capacity: Object.entries(capacities).map(([channel, n]) => `${channel}=${n}`),
      });
      onDone();
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
    }
  };
  return (
    <section
      aria-label={t("supervisor.edit", { name: worker.friendly_name })}
      className="rounded border border-slate-200 bg-white p-3"
    >
      <h2 className="mb-2 font-semibold">{t("supervisor.edit", { name: worker.friendly_name })}</h2>
      <label className="flex flex-col gap-1 text-sm">
        {t("supervisor.skills")}
        <input
          value={skillText}
          onChange={(e) => setSkillText(e.target.value)}
          className="rounded border border-slate-300 px-2 py-1"
        />
      </label>
      <fieldset className="mt-2 grid grid-cols-3 gap-2">
        <legend className="text-sm">{t("agent.capacity")}</legend>
        {Object.entries(capacities).map(([channel, n]) => (
          <label key={channel} className="flex flex-col text-xs">
            {channel}
            <input
              type="number"
              min={0}
              max={50}
              value={n}
              onChange={(e) => setCapacities((c) => ({ ...c, [channel]: Number(e.target.value) }))}
              className="rounded border border-slate-300 px-1"
            />
          </label>
        ))}
      </fieldset>
      <div className="mt-2 flex gap-2">
        <button
          type="button"
          onClick={() => void save()}
          className="rounded bg-blue-700 px-3 py-1 text-sm text-white"
        >
          {t("common.save")}
        </button>
        <button type="button" onClick={onDone} className="rounded bg-slate-200 px-3 py-1 text-sm">
          {t("common.cancel")}
        </button>
      </div>
      <ErrorLine error={error} />
    </section>
  );
}
