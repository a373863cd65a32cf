import {
  applyNodeChanges,
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiFailure } from "../api.ts";
import {
  buttonClass,
  failureText,
  inputClass,
  quietButtonClass,
  useList,
  useSettled,
} from "../admin/common.tsx";
import { ErrorLine } from "../../shared/ErrorLine.tsx";
import {
  addWidget,
  connect,
  moveWidget,
  problemsByWidget,
  removeWidget,
  type FlowDefinition,
} from "./model.ts";
import { PALETTE_GROUPS } from "./palette.ts";
import { TestRun } from "./TestRun.tsx";
import { WidgetNode, widgetTypeName, type WidgetNodeType } from "./WidgetNode.tsx";
import { WidgetPanel, type Choices } from "./WidgetPanel.tsx";

interface FlowRecord {
  sid: string;
  friendly_name: string;
  status: "draft" | "published";
  revision: number;
  valid: boolean;
  definition: FlowDefinition;
}

interface Revision {
  revision: number;
  status: "draft" | "published";
  commit_message: string | null;
  valid: boolean;
  date_created: string;
}

type Problem = { message: string; property_path: string };

const NODE_TYPES = { widget: WidgetNode };
const DRAG_TYPE = "application/x-switchboard-widget";

export function FlowBuilder(props: { flowSid: string; workspaceSid: string | undefined }) {
  return (
    <ReactFlowProvider>
      <Builder {...props} />
    </ReactFlowProvider>
  );
}

/**
 * The visual flow builder: the palette, the canvas (drag widgets in, drag from a transition's
 * handle to a widget to connect them), the selected widget's panel, validation as you edit with
 * errors pinned to their widgets, saving drafts and publishing revisions, Studio JSON in and out,
 * and a test run against the saved draft.
 */
function Builder({ flowSid, workspaceSid }: { flowSid: string; workspaceSid: string | undefined }) {
  const { t } = useTranslation();
  const { screenToFlowPosition } = useReactFlow();
  const [flow, setFlow] = useState<FlowRecord | undefined>();
  const [definition, setDefinition] = useState<FlowDefinition | undefined>();
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | undefined>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [commitMessage, setCommitMessage] = useState("");
  const [importing, setImporting] = useState<string | undefined>();
  const [testing, setTesting] = useState(false);
  const [testAt, setTestAt] = useState<string | undefined>();
  const [nodes, setNodes] = useState<WidgetNodeType[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  const revisions = useList<Revision>(`/v2/Flows/${flowSid}/Revisions`, "revisions");
  const workflows = useList<Choices["workflows"][number]>(
    workspaceSid && `/v1/Workspaces/${workspaceSid}/Workflows`,
    "workflows",
  );
  const channels = useList<Choices["channels"][number]>(
    workspaceSid && `/v1/Workspaces/${workspaceSid}/TaskChannels`,
    "channels",
  );
  const flows = useList<Choices["flows"][number]>("/v2/Flows", "flows");
  const canvas = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    const found = await api<FlowRecord>("GET", `/v2/Flows/${flowSid}`);
    setFlow(found);
    setDefinition(found.definition);
    setDirty(false);
  }, [flowSid]);
  useEffect(() => {
    load().catch((e: unknown) => setError(failureText(e)));
  }, [load]);

  const edit = (next: FlowDefinition, select?: string) => {
    setDefinition(next);
    setDirty(true);
    if (select !== undefined || !next.states.some((s) => s.name === selected)) setSelected(select);
  };

  // Validation follows the edits: the server's checks, pinned to the widgets they name.
  const settled = useSettled(definition, 400);
  useEffect(() => {
    if (!settled || !flow) return;
    let current = true;
    api("POST", "/v2/Flows/Validate", {
      FriendlyName: flow.friendly_name,
      Status: "draft",
      Definition: JSON.stringify(settled),
    }).then(
      () => current && setProblems([]),
      (e: unknown) => {
        if (!current) return;
        const details =
          e instanceof ApiFailure ? (e.details as { errors?: Problem[] } | undefined) : undefined;
        setProblems(details?.errors ?? [{ message: failureText(e), property_path: "#" }]);
      },
    );
    return () => {
      current = false;
    };
  }, [settled, flow]);
  const pinned = useMemo(
    () =>
      definition
        ? problemsByWidget(definition, problems)
        : { byWidget: new Map<string, string[]>(), general: [] },
    [definition, problems],
  );

  // Nodes keep what the canvas measured; their place and content come from the definition.
  useEffect(() => {
    if (!definition) return;
    setNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      return definition.states.map((state, index) => {
        const offset = state.properties.offset ?? { x: 0, y: index * 160 };
        const old = byId.get(state.name);
        return {
          ...old,
          id: state.name,
          type: "widget" as const,
          position: old?.dragging ? old.position : offset,
          selected: state.name === selected,
          deletable: state.type !== "trigger",
          data: { state, problems: pinned.byWidget.get(state.name) ?? [], current: state.name === testAt },
        };
      });
    });
  }, [definition, selected, pinned, testAt]);

  const edges: Edge[] = useMemo(
    () =>
      definition?.states.flatMap((state) =>
        state.transitions.flatMap((transition, index) =>
          transition.next
            ? [
                {
                  id: `${state.name}:${index}`,
                  source: state.name,
                  sourceHandle: String(index),
                  target: transition.next,
                  targetHandle: "in",
                  selected: selectedEdges.has(`${state.name}:${index}`),
                },
              ]
            : [],
        ),
      ) ?? [],
    [definition, selectedEdges],
  );

  const onNodesChange = (changes: NodeChange<WidgetNodeType>[]) => {
    setNodes((current) => applyNodeChanges(changes, current));
    if (!definition) return;
    let next = definition;
    for (const change of changes) {
      if (change.type === "position" && change.position && !change.dragging)
        next = moveWidget(next, change.id, change.position);
      if (change.type === "remove") next = removeWidget(next, change.id);
      if (change.type === "select" && change.selected) setSelected(change.id);
    }
    if (next !== definition) edit(next);
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    if (!definition) return;
    let next = definition;
    const chosen = new Set(selectedEdges);
    for (const change of changes) {
      if (change.type === "select") {
        if (change.selected) chosen.add(change.id);
        else chosen.delete(change.id);
      }
      if (change.type === "remove") {
        const [source, index] = change.id.split(":");
        next = connect(next, source!, Number(index), undefined);
        chosen.delete(change.id);
      }
    }
    setSelectedEdges(chosen);
    if (next !== definition) edit(next);
  };
  const onConnect = (connection: Connection) => {
    if (!definition || connection.sourceHandle === null || connection.source === connection.target) return;
    edit(connect(definition, connection.source, Number(connection.sourceHandle), connection.target));
  };
  const place = (type: string, at: { x: number; y: number }) => {
    if (!definition) return;
    const { definition: next, name } = addWidget(definition, type, at);
    edit(next, name);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (type) place(type, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };
  const placeInView = (type: string) => {
    const box = canvas.current?.getBoundingClientRect();
    const at = box
      ? screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 })
      : { x: 0, y: 0 };
    place(type, at);
  };

  const save = async (status: "draft" | "published"): Promise<boolean> => {
    if (!definition || !flow) return false;
    setError(undefined);
    setNotice(undefined);
    try {
      const saved = await api<FlowRecord>("POST", `/v2/Flows/${flow.sid}`, {
        Status: status,
        Definition: JSON.stringify(definition),
        ...(commitMessage && { CommitMessage: commitMessage }),
      });
      setFlow(saved);
      setDirty(false);
      setCommitMessage("");
      setNotice(
        t(status === "published" ? "flows.published" : "flows.savedDraft", { revision: saved.revision }),
      );
      await revisions.reload();
      return true;
    } catch (e) {
      setError(failureText(e));
      return false;
    }
  };
  const openRevision = async (revision: number) => {
    try {
      const found = await api<{ definition: FlowDefinition }>(
        "GET",
        `/v2/Flows/${flowSid}/Revisions/${revision}`,
      );
      edit(found.definition, undefined);
    } catch (e) {
      setError(failureText(e));
    }
  };
  const importDefinition = (text: string) => {
    try {
      const parsed = JSON.parse(text) as FlowDefinition;
      if (!Array.isArray(parsed.states)) throw new Error(t("flows.importNotFlow"));
      edit(parsed, undefined);
      setImporting(undefined);
    } catch (e) {
      setError(failureText(e));
    }
  };
  const exportHref = useMemo(
    () =>
      definition
        ? `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(definition, null, 2))}`
        : undefined,
    [definition],
  );

  if (!flow || !definition) return <p className="p-6 text-slate-500">{error ?? t("common.loading")}</p>;
  const selectedState = definition.states.find((s) => s.name === selected);

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-3 py-2 text-sm">
        <a href="/admin/flows" className="text-blue-700 underline">
          {t("flows.all")}
        </a>
        <h1 className="font-semibold">{flow.friendly_name}</h1>
        <span data-testid="flow-status" className="rounded bg-slate-100 px-2">
          {t(`flows.status.${flow.status}`)} · {t("flows.revision", { revision: flow.revision })}
          {dirty && ` · ${t("flows.unsaved")}`}
        </span>
        <input
          aria-label={t("flows.commitMessage")}
          placeholder={t("flows.commitMessage")}
          value={commitMessage}
          onChange={(e) => setCommitMessage(e.target.value)}
          className={`${inputClass} w-48`}
        />
        <button type="button" onClick={() => void save("draft")} className={quietButtonClass}>
          {t("flows.saveDraft")}
        </button>
        <button
          type="button"
          disabled={problems.length > 0}
          onClick={() => void save("published")}
          className={buttonClass}
        >
          {t("flows.publish")}
        </button>
        <button
          type="button"
          onClick={() =>
            void (dirty ? save("draft") : Promise.resolve(true)).then((ok) => ok && setTesting(true))
          }
          className={quietButtonClass}
        >
          {t("flows.testRun.open")}
        </button>
        <a href={exportHref} download={`${flow.friendly_name}.json`} className={quietButtonClass}>
          {t("flows.export")}
        </a>
        <button type="button" onClick={() => setImporting("")} className={quietButtonClass}>
          {t("flows.import")}
        </button>
        <label className="ml-auto flex items-center gap-1">
          {t("flows.revisions")}
          <select
            aria-label={t("flows.revisions")}
            value=""
            onChange={(e) => e.target.value && void openRevision(Number(e.target.value))}
            className={inputClass}
          >
            <option value="">{t("flows.openRevision")}</option>
            {revisions.items.map((r) => (
              <option key={r.revision} value={r.revision}>
                {`${r.revision} · ${t(`flows.status.${r.status}`)}${r.commit_message ? ` · ${r.commit_message}` : ""}`}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div role="status" className="px-3 text-sm">
        {notice && <span className="text-green-700">{notice}</span>}
        {pinned.general.map((p) => (
          <p key={p} className="text-red-700">
            ⚠ {p}
          </p>
        ))}
        {problems.length > 0 && (
          <p className="text-red-700" data-testid="flow-problems">
            {t("flows.problemCount", { count: problems.length })}
          </p>
        )}
      </div>
      <ErrorLine error={error} />
      {importing !== undefined && (
        <section
          aria-label={t("flows.import")}
          className="flex flex-col gap-2 border-b border-slate-200 bg-white p-3"
        >
          <textarea
            aria-label={t("flows.importJson")}
            placeholder={t("flows.importJson")}
            rows={6}
            value={importing}
            onChange={(e) => setImporting(e.target.value)}
            className={`${inputClass} font-mono text-xs`}
          />
          <div className="flex gap-2">
            <input
              type="file"
              accept="application/json,.json"
              aria-label={t("flows.importFile")}
              onChange={(e) => void e.target.files?.[0]?.text().then(importDefinition)}
            />
            <button type="button" onClick={() => importDefinition(importing)} className={buttonClass}>
              {t("flows.importApply")}
            </button>
            <button type="button" onClick={() => setImporting(undefined)} className={quietButtonClass}>
              {t("common.cancel")}
            </button>
          </div>
        </section>
      )}
      <div className="flex min-h-0 flex-1">
        <nav
          aria-label={t("flows.palette")}
          className="w-48 shrink-0 overflow-y-auto border-r border-slate-200 bg-white p-2"
        >
          {PALETTE_GROUPS.map(({ group, types }) => (
            <section key={group} className="mb-3">
              <h2 className="mb-1 text-xs font-semibold text-slate-500 uppercase">
                {t(`flows.groups.${group}`)}
              </h2>
              <ul className="flex flex-col gap-1">
                {types.map((type) => (
                  <li key={type}>
                    <button
                      type="button"
                      draggable
                      data-testid={`palette-${type}`}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(DRAG_TYPE, type);
                        e.dataTransfer.effectAllowed = "move";
                      }}
                      onClick={() => placeInView(type)}
                      title={t("flows.paletteHint")}
                      className="w-full cursor-grab rounded border border-slate-200 px-2 py-1 text-left text-xs hover:bg-slate-50"
                    >
                      {widgetTypeName(t, type)}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </nav>
        <div
          ref={canvas}
          className="min-w-0 flex-1"
          data-testid="flow-canvas"
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = "move";
          }}
          onDrop={onDrop}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onPaneClick={() => setSelected(undefined)}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
          >
            <Background />
            <Controls />
          </ReactFlow>
        </div>
        {selectedState && (
          <WidgetPanel
            key={selectedState.name}
            definition={definition}
            state={selectedState}
            problems={pinned.byWidget.get(selectedState.name) ?? []}
            choices={{ workflows: workflows.items, channels: channels.items, flows: flows.items }}
            onChange={edit}
          />
        )}
        {testing && <TestRun flowSid={flow.sid} onClose={() => setTesting(false)} onWidget={setTestAt} />}
      </div>
    </div>
  );
}
