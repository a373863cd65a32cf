import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, DESKTOP } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { buttonClass, failureText, inputClass, jsonProblem, Panel } from "./common.tsx";

/**
 * What the account's agent desktops get: canned responses, disposition codes, the CRM panel's URL
 * template and the plugins they load — one JSON document, checked by the server when saved.
 */
export function DesktopSettingsAdmin() {
  const { t } = useTranslation();
  const [json, setJson] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<unknown>("GET", `${DESKTOP}/Settings`).then(
      (settings) => setJson(JSON.stringify(settings, null, 2)),
      (e: unknown) => setError(failureText(e)),
    );
  }, []);
  const save = async () => {
    if (json === undefined) return;
    setError(undefined);
    setSaved(false);
    try {
      const settings = await api<unknown>("POST", `${DESKTOP}/Settings`, JSON.parse(json) as object, true);
      setJson(JSON.stringify(settings, null, 2));
      setSaved(true);
    } catch (e) {
      setError(failureText(e));
    }
  };
  return (
    <Panel title={t("admin.section.desktop")}>
      <p className="mb-2 text-sm text-slate-600">{t("admin.desktop.help")}</p>
      {json !== undefined && (
        <textarea
          aria-label={t("admin.desktop.settings")}
          rows={18}
          value={json}
          onChange={(e) => setJson(e.target.value)}
          className={`${inputClass} w-full font-mono text-xs`}
        />
      )}
      {json !== undefined && jsonProblem(json) && <p className="text-sm text-red-700">{jsonProblem(json)}</p>}
      <div className="mt-2 flex items-center gap-3">
        <button
          type="button"
          disabled={json === undefined || !!jsonProblem(json)}
          onClick={() => void save()}
          className={buttonClass}
        >
          {t("common.save")}
        </button>
        {saved && <span className="text-sm text-green-700">{t("common.saved")}</span>}
      </div>
      <ErrorLine error={error} />
    </Panel>
  );
}
