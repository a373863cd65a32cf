import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Me } from "../App.tsx";
import { FlowBuilder } from "../flows/FlowBuilder.tsx";
import { FlowList } from "../flows/FlowList.tsx";
import { AddressesAdmin } from "./AddressesAdmin.tsx";
import { useList } from "./common.tsx";
import { DesktopSettingsAdmin } from "./DesktopSettingsAdmin.tsx";
import { KeysAdmin } from "./KeysAdmin.tsx";
import { PeopleAdmin } from "./PeopleAdmin.tsx";
import { QueuesAdmin } from "./QueuesAdmin.tsx";
import { ActivitiesAdmin, ChannelsAdmin, WorkersAdmin } from "./RoutingAdmin.tsx";
import { WebhooksAdmin } from "./WebhooksAdmin.tsx";
import { WorkflowsAdmin } from "./WorkflowsAdmin.tsx";

/** The console's sections, by path: /admin/<section>[/<sid>]. */
const SECTIONS = [
  "people",
  "workers",
  "activities",
  "channels",
  "queues",
  "workflows",
  "flows",
  "addresses",
  "keys",
  "webhooks",
  "desktop",
] as const;
type Section = (typeof SECTIONS)[number];

/**
 * The admin console: everything an admin changes without a redeploy, each section on the same
 * public API the SDKs use (TaskRouter, Studio, Conversations, Keys) or Switchboard's own.
 */
export function AdminConsole({ me, path }: { me: Me; path: string }) {
  const { t } = useTranslation();
  const [, , name, sid] = path.split("/");
  const section: Section = SECTIONS.includes(name as Section) ? (name as Section) : "people";
  const workspaces = useList<{ sid: string; friendly_name: string }>("/v1/Workspaces", "workspaces");
  const [chosen, setChosen] = useState<string | undefined>();
  const workspaceSid = chosen ?? me.workspace_sid ?? workspaces.items[0]?.sid;

  if (section === "flows" && sid) return <FlowBuilder flowSid={sid} workspaceSid={workspaceSid} />;
  return (
    <div className="flex h-full">
      <nav aria-label={t("admin.sections")} className="w-52 shrink-0 border-r border-slate-200 bg-white p-3">
        {workspaces.items.length > 1 && (
          <label className="mb-3 flex flex-col gap-1 text-xs text-slate-600">
            {t("admin.workspace")}
            <select
              value={workspaceSid ?? ""}
              onChange={(e) => setChosen(e.target.value)}
              className="rounded border border-slate-300 px-1"
            >
              {workspaces.items.map((w) => (
                <option key={w.sid} value={w.sid}>
                  {w.friendly_name}
                </option>
              ))}
            </select>
          </label>
        )}
        <ul className="flex flex-col gap-1 text-sm">
          {SECTIONS.map((s) => (
            <li key={s}>
              <a
                href={`/admin/${s}`}
                aria-current={s === section ? "page" : undefined}
                className={
                  s === section ? "font-medium text-blue-700" : "text-slate-700 hover:text-slate-900"
                }
              >
                {t(`admin.section.${s}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="min-w-0 flex-1 overflow-y-auto p-6">
        <div className="mx-auto flex max-w-5xl flex-col gap-4">
          <h1 className="text-lg font-semibold">{t(`admin.section.${section}`)}</h1>
          {section === "people" && <PeopleAdmin workspaceSid={workspaceSid} />}
          {section === "flows" && <FlowList />}
          {section === "keys" && <KeysAdmin accountSid={me.account_sid} />}
          {section === "webhooks" && <WebhooksAdmin />}
          {section === "desktop" && <DesktopSettingsAdmin />}
          {workspaceSid && (
            <>
              {section === "workers" && <WorkersAdmin workspaceSid={workspaceSid} />}
              {section === "activities" && <ActivitiesAdmin workspaceSid={workspaceSid} />}
              {section === "channels" && <ChannelsAdmin workspaceSid={workspaceSid} />}
              {section === "queues" && <QueuesAdmin workspaceSid={workspaceSid} />}
              {section === "workflows" && <WorkflowsAdmin workspaceSid={workspaceSid} />}
              {section === "addresses" && <AddressesAdmin workspaceSid={workspaceSid} />}
            </>
          )}
        </div>
      </div>
    </div>
  );
}
