import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { buttonClass, Field, inputClass, Panel, useAttempt, useList } from "../admin/common.tsx";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { emptyFlow, type FlowDefinition } from "./model.ts";

interface FlowSummary {
  sid: string;
  friendly_name: string;
  status: "draft" | "published";
  revision: number;
  valid: boolean;
  date_updated: string;
}

/** The account's flows; a new one starts as a trigger alone, or as an imported Studio export. */
export function FlowList() {
  const { t } = useTranslation();
  const flows = useList<FlowSummary>("/v2/Flows", "flows");
  const { error, attempt } = useAttempt(flows.reload);
  const [name, setName] = useState("");
  const [imported, setImported] = useState<FlowDefinition | undefined>();

  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      const created = await api<{ sid: string }>("POST", "/v2/Flows", {
        FriendlyName: name,
        Status: "draft",
        Definition: JSON.stringify(imported ?? emptyFlow(name)),
      });
      window.location.assign(`/admin/flows/${created.sid}`);
    });
  };

  return (
    <div className="flex flex-col gap-4">
      <Panel title={t("flows.newFlow")}>
        <form onSubmit={create} className="flex flex-wrap items-end gap-3">
          <Field label={t("common.name")}>
            <input required value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
          </Field>
          <Field label={t("flows.startFromExport")}>
            <input
              type="file"
              accept="application/json,.json"
              onChange={(e) =>
                void e.target.files?.[0]
                  ?.text()
                  .then((text) => setImported(JSON.parse(text) as FlowDefinition))
              }
            />
          </Field>
          <button type="submit" className={buttonClass}>
            {t("flows.create")}
          </button>
        </form>
        <ErrorLine error={error ?? flows.error} />
      </Panel>
      <Panel title={t("flows.title")}>
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-slate-500">
              <th>{t("common.name")}</th>
              <th>{t("flows.statusHeading")}</th>
              <th>{t("flows.revisionHeading")}</th>
              <th>{t("flows.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {flows.items.map((flow) => (
              <tr key={flow.sid} className="border-t border-slate-100">
                <td>
                  <a href={`/admin/flows/${flow.sid}`} className="text-blue-700 underline">
                    {flow.friendly_name}
                  </a>
                </td>
                <td>
                  {t(`flows.status.${flow.status}`)}
                  {!flow.valid && ` · ${t("flows.invalid")}`}
                </td>
                <td>{flow.revision}</td>
                <td>{new Date(flow.date_updated).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
