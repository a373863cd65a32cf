import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { buttonClass, Field, inputClass, Panel, useAttempt, useList, DeleteButton } from "./common.tsx";

interface Webhook {
  sid: string;
  friendly_name: string | null;
  webhook_url: string;
  event_types: string[];
  status: "active" | "disabled";
}

interface Delivery {
  sid: string;
  event_sid: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  date_created: string;
}

const BASE = "/switchboard/v1/Webhooks";

/** Webhook subscriptions, each with its delivery log; a failed delivery can be sent again. */
export function WebhooksAdmin() {
  const { t } = useTranslation();
  const webhooks = useList<Webhook>(BASE, "webhooks");
  const { error, attempt } = useAttempt(webhooks.reload);
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("");
  const [open, setOpen] = useState<string | undefined>();
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", BASE, { Url: url, ...(types.trim() && { EventTypes: types }) });
      setUrl("");
      setTypes("");
    });
  };
  return (
    <>
      <Panel title={t("admin.section.webhooks")}>
        <ul className="flex flex-col gap-2 text-sm">
          {webhooks.items.map((hook) => (
            <li key={hook.sid} className="rounded border border-slate-100 p-2">
              <div className="flex flex-wrap gap-3">
                <code>{hook.webhook_url}</code>
                <span className="text-slate-500">
                  {hook.event_types.join(", ") || t("admin.webhooks.allEvents")}
                </span>
                <span>{t(`admin.webhooks.status.${hook.status}`)}</span>
                <button
                  type="button"
                  onClick={() => setOpen(open === hook.sid ? undefined : hook.sid)}
                  className="text-blue-700 underline"
                >
                  {t("admin.webhooks.deliveries")}
                </button>
                <button
                  type="button"
                  onClick={() =>
                    void attempt(() =>
                      api("POST", `${BASE}/${hook.sid}`, {
                        Status: hook.status === "active" ? "disabled" : "active",
                      }),
                    )
                  }
                  className="text-blue-700 underline"
                >
                  {hook.status === "active" ? t("admin.webhooks.disable") : t("admin.webhooks.enable")}
                </button>
                <DeleteButton path={`${BASE}/${hook.sid}`} attempt={attempt} />
              </div>
              {open === hook.sid && <DeliveryLog webhookSid={hook.sid} />}
            </li>
          ))}
        </ul>
        <ErrorLine error={error ?? webhooks.error} />
      </Panel>
      <Panel title={t("admin.webhooks.new")}>
        <form onSubmit={create} className="flex flex-wrap items-end gap-3">
          <Field label={t("admin.webhooks.url")}>
            <input
              type="url"
              required
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              className={`${inputClass} w-80`}
            />
          </Field>
          <Field label={t("admin.webhooks.eventTypes")}>
            <input
              placeholder="task.created, reservation.accepted"
              value={types}
              onChange={(e) => setTypes(e.target.value)}
              className={`${inputClass} w-72`}
            />
          </Field>
          <button type="submit" className={buttonClass}>
            {t("common.create")}
          </button>
        </form>
      </Panel>
    </>
  );
}

function DeliveryLog({ webhookSid }: { webhookSid: string }) {
  const { t } = useTranslation();
  const path = `${BASE}/${webhookSid}/Deliveries`;
  const deliveries = useList<Delivery>(path, "deliveries");
  const { error, attempt } = useAttempt(deliveries.reload);
  // The log lists oldest first; the newest matter most here.
  const newest = [...deliveries.items].reverse();
  return (
    <div className="mt-2">
      <table className="w-full text-left text-xs">
        <thead>
          <tr className="text-slate-500">
            <th>{t("admin.webhooks.when")}</th>
            <th>{t("admin.webhooks.event")}</th>
            <th>{t("admin.webhooks.outcome")}</th>
            <th>{t("admin.webhooks.attempts")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {newest.map((d) => (
            <tr key={d.sid} className="border-t border-slate-100" data-testid="delivery">
              <td>{new Date(d.date_created).toLocaleString()}</td>
              <td>
                <code>{d.event_sid}</code>
              </td>
              <td>
                {d.status}
                {d.last_status_code !== null && ` (${d.last_status_code})`}
                {d.last_error && ` · ${d.last_error}`}
              </td>
              <td>{d.attempts}</td>
              <td>
                <button
                  type="button"
                  onClick={() => void attempt(() => api("POST", `${path}/${d.sid}/Replay`))}
                  className="text-blue-700 underline"
                >
                  {t("admin.webhooks.replay")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => void deliveries.reload()}
        className="mt-1 text-xs text-blue-700 underline"
      >
        {t("common.refresh")}
      </button>
      <ErrorLine error={error ?? deliveries.error} />
    </div>
  );
}
