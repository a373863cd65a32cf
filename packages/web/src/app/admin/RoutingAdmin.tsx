import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import {
  buttonClass,
  Field,
  inputClass,
  jsonProblem,
  Panel,
  quietButtonClass,
  useAttempt,
  useList,
  DeleteButton,
} from "./common.tsx";

interface Worker {
  sid: string;
  friendly_name: string;
  activity_name: string;
  attributes: string;
}

function skillsOf(worker: Worker): string[] {
  const attributes = JSON.parse(worker.attributes) as { skills?: unknown };
  return Array.isArray(attributes.skills)
    ? attributes.skills.filter((s): s is string => typeof s === "string")
    : [];
}

/**
 * Workers and their attributes. Skills (the `skills` list most queue expressions test) get their
 * own controls: add or take away one skill across the workers ticked, in one go.
 */
export function WorkersAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const base = `/v1/Workspaces/${workspaceSid}/Workers`;
  const workers = useList<Worker>(base, "workers");
  const { error, attempt } = useAttempt(workers.reload);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [skill, setSkill] = useState("");
  const [editing, setEditing] = useState<{ sid: string; json: string } | undefined>();
  const [name, setName] = useState("");
  const [attributes, setAttributes] = useState('{"skills": []}');

  const changeSkill = (add: boolean) =>
    attempt(async () => {
      for (const worker of workers.items.filter((w) => ticked.has(w.sid))) {
        const current = JSON.parse(worker.attributes) as Record<string, unknown>;
        const skills = new Set(skillsOf(worker));
        if (add) skills.add(skill.trim());
        else skills.delete(skill.trim());
        await api("POST", `${base}/${worker.sid}`, {
          Attributes: JSON.stringify({ ...current, skills: [...skills] }),
        });
      }
    });
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", base, { FriendlyName: name, Attributes: attributes });
      setName("");
    });
  };

  return (
    <>
      <Panel title={t("admin.workers.title")}>
        <div className="mb-3 flex flex-wrap items-end gap-2">
          <Field label={t("admin.workers.skill")}>
            <input value={skill} onChange={(e) => setSkill(e.target.value)} className={inputClass} />
          </Field>
          <button
            type="button"
            disabled={!skill.trim() || ticked.size === 0}
            onClick={() => void changeSkill(true)}
            className={buttonClass}
          >
            {t("admin.workers.addSkill", { count: ticked.size })}
          </button>
          <button
            type="button"
            disabled={!skill.trim() || ticked.size === 0}
            onClick={() => void changeSkill(false)}
            className={quietButtonClass}
          >
            {t("admin.workers.removeSkill", { count: ticked.size })}
          </button>
        </div>
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-slate-500">
              <th />
              <th>{t("common.name")}</th>
              <th>{t("admin.workers.activity")}</th>
              <th>{t("admin.workers.skills")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {workers.items.map((worker) => (
              <tr key={worker.sid} className="border-t border-slate-100 align-top">
                <td>
                  <input
                    type="checkbox"
                    aria-label={t("admin.workers.tick", { name: worker.friendly_name })}
                    checked={ticked.has(worker.sid)}
                    onChange={(e) =>
                      setTicked((current) => {
                        const next = new Set(current);
                        if (e.target.checked) next.add(worker.sid);
                        else next.delete(worker.sid);
                        return next;
                      })
                    }
                  />
                </td>
                <td>{worker.friendly_name}</td>
                <td>{worker.activity_name}</td>
                <td data-testid={`skills-${worker.friendly_name}`}>{skillsOf(worker).join(", ")}</td>
                <td className="flex gap-2">
                  <button
                    type="button"
                    onClick={() =>
                      setEditing({
                        sid: worker.sid,
                        json: JSON.stringify(JSON.parse(worker.attributes), null, 2),
                      })
                    }
                    className="text-blue-700 underline"
                  >
                    {t("admin.workers.attributes")}
                  </button>
                  <DeleteButton path={`${base}/${worker.sid}`} attempt={attempt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {editing && (
          <div className="mt-3 flex flex-col gap-2">
            <textarea
              aria-label={t("admin.workers.attributes")}
              rows={8}
              value={editing.json}
              onChange={(e) => setEditing({ ...editing, json: e.target.value })}
              className={`${inputClass} font-mono text-xs`}
            />
            {jsonProblem(editing.json) && <p className="text-sm text-red-700">{jsonProblem(editing.json)}</p>}
            <div className="flex gap-2">
              <button
                type="button"
                disabled={!!jsonProblem(editing.json)}
                onClick={() =>
                  void attempt(async () => {
                    await api("POST", `${base}/${editing.sid}`, { Attributes: editing.json });
                    setEditing(undefined);
                  })
                }
                className={buttonClass}
              >
                {t("common.save")}
              </button>
              <button type="button" onClick={() => setEditing(undefined)} className={quietButtonClass}>
                {t("common.cancel")}
              </button>
            </div>
          </div>
        )}
        <ErrorLine error={error ?? workers.error} />
      </Panel>
      <Panel title={t("admin.workers.new")}>
        <form onSubmit={create} className="flex flex-wrap items-end gap-3">
          <Field label={t("common.name")}>
            <input required value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
          </Field>
          <Field label={t("admin.workers.attributes")}>
            <input
              value={attributes}
              onChange={(e) => setAttributes(e.target.value)}
              className={`${inputClass} w-80 font-mono text-xs`}
            />
          </Field>
          <button type="submit" disabled={!!jsonProblem(attributes)} className={buttonClass}>
            {t("common.create")}
          </button>
        </form>
      </Panel>
    </>
  );
}

interface Activity {
  sid: string;
  friendly_name: string;
  available: boolean;
}

export function ActivitiesAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const base = `/v1/Workspaces/${workspaceSid}/Activities`;
  const activities = useList<Activity>(base, "activities");
  const { error, attempt } = useAttempt(activities.reload);
  const [name, setName] = useState("");
  const [available, setAvailable] = useState(false);
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", base, { FriendlyName: name, Available: String(available) });
      setName("");
    });
  };
  return (
    <Panel title={t("admin.section.activities")}>
      <ul className="mb-3 flex flex-col gap-1 text-sm">
        {activities.items.map((activity) => (
          <li key={activity.sid} className="flex items-center gap-3">
            <RenameField
              value={activity.friendly_name}
              onRename={(FriendlyName) =>
                attempt(() => api("POST", `${base}/${activity.sid}`, { FriendlyName }))
              }
            />
            <span className="text-slate-500">
              {activity.available ? t("admin.activities.available") : t("admin.activities.unavailable")}
            </span>
            <DeleteButton path={`${base}/${activity.sid}`} attempt={attempt} />
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="flex flex-wrap items-end gap-3">
        <Field label={t("common.name")}>
          <input required value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </Field>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={available} onChange={(e) => setAvailable(e.target.checked)} />
          {t("admin.activities.available")}
        </label>
        <button type="submit" className={buttonClass}>
          {t("common.create")}
        </button>
      </form>
      <ErrorLine error={error ?? activities.error} />
    </Panel>
  );
}

interface TaskChannel {
  sid: string;
  unique_name: string;
  friendly_name: string;
}

export function ChannelsAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const base = `/v1/Workspaces/${workspaceSid}/TaskChannels`;
  const channels = useList<TaskChannel>(base, "channels");
  const { error, attempt } = useAttempt(channels.reload);
  const [uniqueName, setUniqueName] = useState("");
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", base, { UniqueName: uniqueName, FriendlyName: uniqueName });
      setUniqueName("");
    });
  };
  return (
    <Panel title={t("admin.section.channels")}>
      <ul className="mb-3 flex flex-col gap-1 text-sm">
        {channels.items.map((channel) => (
          <li key={channel.sid} className="flex items-center gap-3">
            <span className="font-mono">{channel.unique_name}</span>
            <RenameField
              value={channel.friendly_name}
              onRename={(FriendlyName) =>
                attempt(() => api("POST", `${base}/${channel.sid}`, { FriendlyName }))
              }
            />
            <DeleteButton path={`${base}/${channel.sid}`} attempt={attempt} />
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="flex items-end gap-3">
        <Field label={t("admin.channels.uniqueName")}>
          <input
            required
            pattern="[a-z0-9_-]+"
            value={uniqueName}
            onChange={(e) => setUniqueName(e.target.value)}
            className={inputClass}
          />
        </Field>
        <button type="submit" className={buttonClass}>
          {t("common.create")}
        </button>
      </form>
      <ErrorLine error={error ?? channels.error} />
    </Panel>
  );
}

/** A name changed in place: saved when the field is left or Enter is pressed. */
function RenameField({ value, onRename }: { value: string; onRename: (name: string) => Promise<unknown> }) {
  const { t } = useTranslation();
  const [text, setText] = useState(value);
  const commit = () => {
    if (text.trim() && text !== value) void onRename(text.trim());
  };
  return (
    <input
      aria-label={t("admin.rename", { name: value })}
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === "Enter" && commit()}
      className={`${inputClass} w-48`}
    />
  );
}
