import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import { buttonClass, Field, inputClass, Panel, useAttempt, useList, DeleteButton } from "./common.tsx";

interface Address {
  sid: string;
  type: string;
  address: string;
  friendly_name: string | null;
  auto_creation: {
    enabled: boolean;
    type: string;
    studio_flow_sid: string | null;
    workflow_sid: string | null;
    task_channel: string | null;
  };
}

const TYPES = ["chat", "sms", "whatsapp", "messenger", "email", "custom"];
const PATH = "/v1/Configuration/Addresses";

/** A binding as the form edits it: a flow, a workflow (with the task's channel), or nothing. */
type Binding =
  | { kind: "flow"; flowSid: string }
  | { kind: "workflow"; workflowSid: string; channel: string }
  | { kind: "none" };

function bindingOf(address: Address): Binding {
  const auto = address.auto_creation;
  if (auto.enabled && auto.type === "studio" && auto.studio_flow_sid)
    return { kind: "flow", flowSid: auto.studio_flow_sid };
  if (auto.enabled && auto.workflow_sid)
    return { kind: "workflow", workflowSid: auto.workflow_sid, channel: auto.task_channel ?? "" };
  return { kind: "none" };
}

/** The AutoCreation.* parameters for a binding; the other binding's values are cleared. */
function bindingParams(binding: Binding, workspaceSid: string): Record<string, string> {
  switch (binding.kind) {
    case "flow":
      return {
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": binding.flowSid,
        "AutoCreation.WorkspaceSid": "",
        "AutoCreation.WorkflowSid": "",
        "AutoCreation.TaskChannel": "",
      };
    case "workflow":
      return {
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "default",
        "AutoCreation.StudioFlowSid": "",
        "AutoCreation.WorkspaceSid": workspaceSid,
        "AutoCreation.WorkflowSid": binding.workflowSid,
        "AutoCreation.TaskChannel": binding.channel,
      };
    case "none":
      return { "AutoCreation.Enabled": "false" };
  }
}

/**
 * Our addresses on every channel (web chat widgets, numbers, email addresses, pages) and what a
 * stranger's first message there starts: a flow, or directly a task on a workflow.
 */
export function AddressesAdmin({ workspaceSid }: { workspaceSid: string }) {
  const { t } = useTranslation();
  const addresses = useList<Address>(PATH, "address_configurations");
  const flows = useList<{ sid: string; friendly_name: string; status: string }>("/v2/Flows", "flows");
  const workflows = useList<{ sid: string; friendly_name: string }>(
    `/v1/Workspaces/${workspaceSid}/Workflows`,
    "workflows",
  );
  const channels = useList<{ unique_name: string }>(
    `/v1/Workspaces/${workspaceSid}/TaskChannels`,
    "channels",
  );
  const { error, attempt } = useAttempt(addresses.reload);
  const [type, setType] = useState("chat");
  const [address, setAddress] = useState("");

  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      await api("POST", PATH, { Type: type, Address: address });
      setAddress("");
    });
  };
  const bind = (sid: string, binding: Binding) =>
    void attempt(() => api("POST", `${PATH}/${sid}`, bindingParams(binding, workspaceSid)));

  return (
    <>
      <Panel title={t("admin.section.addresses")}>
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-slate-500">
              <th>{t("admin.addresses.type")}</th>
              <th>{t("admin.addresses.address")}</th>
              <th>{t("admin.addresses.binding")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {addresses.items.map((a) => {
              const binding = bindingOf(a);
              return (
                <tr
                  key={a.sid}
                  className="border-t border-slate-100 align-top"
                  data-testid={`address-${a.address}`}
                >
                  <td>{a.type}</td>
                  <td className="font-mono">{a.address}</td>
                  <td className="flex flex-wrap gap-2 py-1">
                    <select
                      aria-label={t("admin.addresses.bindingOf", { address: a.address })}
                      value={binding.kind}
                      onChange={(e) => {
                        const kind = e.target.value;
                        if (kind === "none") bind(a.sid, { kind: "none" });
                        if (kind === "flow" && flows.items[0])
                          bind(a.sid, { kind: "flow", flowSid: flows.items[0].sid });
                        if (kind === "workflow" && workflows.items[0])
                          bind(a.sid, { kind: "workflow", workflowSid: workflows.items[0].sid, channel: "" });
                      }}
                      className={inputClass}
                    >
                      <option value="none">{t("admin.addresses.none")}</option>
                      <option value="flow">{t("admin.addresses.flow")}</option>
                      <option value="workflow">{t("admin.addresses.workflow")}</option>
                    </select>
                    {binding.kind === "flow" && (
                      <select
                        aria-label={t("admin.addresses.flowOf", { address: a.address })}
                        value={binding.flowSid}
                        onChange={(e) => bind(a.sid, { kind: "flow", flowSid: e.target.value })}
                        className={inputClass}
                      >
                        {flows.items.map((f) => (
                          <option key={f.sid} value={f.sid}>
                            {f.friendly_name}
                          </option>
                        ))}
                      </select>
                    )}
                    {binding.kind === "workflow" && (
                      <>
                        <select
                          aria-label={t("admin.addresses.workflowOf", { address: a.address })}
                          value={binding.workflowSid}
                          onChange={(e) => bind(a.sid, { ...binding, workflowSid: e.target.value })}
                          className={inputClass}
                        >
                          {workflows.items.map((w) => (
                            <option key={w.sid} value={w.sid}>
                              {w.friendly_name}
                            </option>
                          ))}
                        </select>
                        <select
                          aria-label={t("admin.addresses.channelOf", { address: a.address })}
                          value={binding.channel}
                          onChange={(e) => bind(a.sid, { ...binding, channel: e.target.value })}
                          className={inputClass}
                        >
                          <option value="">{t("admin.addresses.channelDefault")}</option>
                          {channels.items.map((c) => (
                            <option key={c.unique_name} value={c.unique_name}>
                              {c.unique_name}
                            </option>
                          ))}
                        </select>
                      </>
                    )}
                  </td>
                  <td>
                    <DeleteButton path={`${PATH}/${a.sid}`} attempt={attempt} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <ErrorLine error={error ?? addresses.error} />
      </Panel>
      <Panel title={t("admin.addresses.new")}>
        <form onSubmit={create} className="flex flex-wrap items-end gap-3">
          <Field label={t("admin.addresses.type")}>
            <select value={type} onChange={(e) => setType(e.target.value)} className={inputClass}>
              {TYPES.map((ty) => (
                <option key={ty} value={ty}>
                  {ty}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t("admin.addresses.address")}>
            <input
              required
              value={address}
              onChange={(e) => setAddress(e.target.value)}
              className={inputClass}
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
