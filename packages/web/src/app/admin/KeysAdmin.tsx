import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { buttonClass, Field, inputClass, Panel, useAttempt, useList, DeleteButton } from "./common.tsx";

/** API keys for the account's integrations; a key's secret is shown once, when it is made. */
export function KeysAdmin({ accountSid }: { accountSid: string }) {
  const { t } = useTranslation();
  const base = `/2010-04-01/Accounts/${accountSid}/Keys`;
  const keys = useList<{ sid: string; friendly_name: string; date_created: string }>(`${base}.json`, "keys");
  const { error, attempt } = useAttempt(keys.reload);
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<{ sid: string; secret: string } | undefined>();
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      setSecret(await api<{ sid: string; secret: string }>("POST", `${base}.json`, { FriendlyName: name }));
      setName("");
    });
  };
  return (
    <Panel title={t("admin.section.keys")}>
      {secret && (
        <p role="status" className="mb-3 rounded bg-amber-50 p-2 text-sm">
          {t("admin.keys.secretOnce")} <code data-testid="key-sid">{secret.sid}</code> ·{" "}
          <code data-testid="key-secret">{secret.secret}</code>
        </p>
      )}
      <ul className="mb-3 flex flex-col gap-1 text-sm">
        {keys.items.map((key) => (
          <li key={key.sid} className="flex gap-3">
            <code>{key.sid}</code>
            <span>{key.friendly_name}</span>
            <span className="text-slate-500">{key.date_created}</span>
            <DeleteButton path={`${base}/${key.sid}.json`} attempt={attempt} label={t("admin.keys.revoke")} />
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="flex items-end gap-3">
        <Field label={t("common.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </Field>
        <button type="submit" className={buttonClass}>
          {t("admin.keys.create")}
        </button>
      </form>
      <ErrorLine error={error ?? keys.error} />
    </Panel>
  );
}
