import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { LANGUAGES } from "../../i18n/index.ts";
import { buttonClass, Field, inputClass, Panel, useAttempt, useList } from "./common.tsx";

interface Person {
  sid: string;
  email: string;
  friendly_name: string;
  role: "agent" | "supervisor" | "admin";
  status: "invited" | "active" | "deactivated";
  worker_sid: string | null;
  language: string | null;
}

const ROLES = ["agent", "supervisor", "admin"] as const;

/** Admins invite people (an invite link to pass on), and deactivate them (their sessions end at once). */
export function PeopleAdmin({ workspaceSid }: { workspaceSid: string | undefined }) {
  const { t } = useTranslation();
  const people = useList<Person>("/switchboard/v1/Users", "users");
  const workers = useList<{ sid: string; friendly_name: string }>(
    workspaceSid && `/v1/Workspaces/${workspaceSid}/Workers`,
    "workers",
  );
  const { error, attempt } = useAttempt(people.reload);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Person["role"]>("agent");
  const [workerSid, setWorkerSid] = useState("");
  const [invite, setInvite] = useState<string | undefined>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      const created = await api<{ invite_url: string }>("POST", "/switchboard/v1/Users", {
        Email: email,
        FriendlyName: name,
        Role: role,
        ...(workerSid && workspaceSid && { WorkerSid: workerSid, WorkspaceSid: workspaceSid }),
      });
      setInvite(created.invite_url);
      setEmail("");
      setName("");
    });
  };
  const change = (person: Person, changes: Record<string, string>) =>
    void attempt(() => api("POST", `/switchboard/v1/Users/${person.sid}`, changes));

  return (
    <>
      <Panel title={t("people.invite")}>
        <form onSubmit={submit} className="grid grid-cols-2 gap-3 text-sm">
          <Field label={t("common.email")}>
            <input
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              className={inputClass}
            />
          </Field>
          <Field label={t("common.name")}>
            <input required value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
          </Field>
          <Field label={t("people.role")}>
            <select
              value={role}
              onChange={(e) => setRole(e.target.value as Person["role"])}
              className={inputClass}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t("people.worksAs")}>
            <select value={workerSid} onChange={(e) => setWorkerSid(e.target.value)} className={inputClass}>
              <option value="">{t("people.noWorker")}</option>
              {workers.items.map((w) => (
                <option key={w.sid} value={w.sid}>
                  {w.friendly_name}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className={`${buttonClass} col-span-2 py-2`}>
            {t("people.sendInvite")}
          </button>
        </form>
        {invite && (
          <p role="status" className="mt-3 text-sm">
            {t("people.inviteLink")} <code className="break-all">{invite}</code>
          </p>
        )}
        <ErrorLine error={error ?? people.error} />
      </Panel>
      <Panel title={t("people.title")}>
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th scope="col" className="p-2">
                {t("common.name")}
              </th>
              <th scope="col" className="p-2">
                {t("common.email")}
              </th>
              <th scope="col" className="p-2">
                {t("people.role")}
              </th>
              <th scope="col" className="p-2">
                {t("people.language")}
              </th>
              <th scope="col" className="p-2">
                {t("people.status")}
              </th>
              <th scope="col" className="p-2">
                <span className="sr-only">{t("people.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {people.items.map((p) => (
              <tr key={p.sid} className="border-t border-slate-100">
                <td className="p-2">{p.friendly_name}</td>
                <td className="p-2">{p.email}</td>
                <td className="p-2">
                  <select
                    aria-label={t("people.roleOf", { name: p.friendly_name })}
                    value={p.role}
                    onChange={(e) => change(p, { Role: e.target.value })}
                    className={inputClass}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`roles.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="p-2">
                  <select
                    aria-label={t("people.languageOf", { name: p.friendly_name })}
                    value={p.language ?? ""}
                    onChange={(e) => change(p, { Language: e.target.value })}
                    className={inputClass}
                  >
                    <option value="">{t("people.browserLanguage")}</option>
                    {Object.entries(LANGUAGES).map(([code, label]) => (
                      <option key={code} value={code}>
                        {label}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="p-2">{t(`people.statuses.${p.status}`)}</td>
                <td className="p-2 text-right">
                  {p.status === "deactivated" ? (
                    <button
                      type="button"
                      className="underline"
                      onClick={() => change(p, { Status: "active" })}
                    >
                      {t("people.reactivate", { name: p.friendly_name })}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="text-red-700 underline"
                      onClick={() => change(p, { Status: "deactivated" })}
                    >
                      {t("people.deactivate", { name: p.friendly_name })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
