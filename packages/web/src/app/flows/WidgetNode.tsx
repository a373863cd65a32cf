import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { transitionLabel, type WidgetState } from "./model.ts";

export type WidgetNodeData = {
  state: WidgetState;
  problems: string[];
  /** The widget a test run is at. */
  current: boolean;
};
export type WidgetNodeType = Node<WidgetNodeData, "widget">;

/**
 * A widget on the canvas: its name and type, a handle on top where transitions arrive (not on the
 * trigger: nothing leads back to it), one handle per transition at the bottom to drag from, and
 * its validation errors pinned to it.
 */
export function WidgetNode({ data, selected }: NodeProps<WidgetNodeType>) {
  const { t } = useTranslation();
  const { state, problems, current } = data;
  const count = state.transitions.length;
  const border =
    problems.length > 0
      ? "border-red-600"
      : selected
        ? "border-blue-600"
        : current
          ? "border-green-600"
          : "border-slate-300";
  return (
    <div
      data-testid={`widget-${state.name}`}
      className={`rounded border-2 bg-white px-3 pt-2 pb-6 text-xs shadow-sm ${border}`}
      style={{ minWidth: Math.max(180, count * 80) }}
    >
      {state.type !== "trigger" && (
        <Handle type="target" position={Position.Top} id="in" data-testid={`in-${state.name}`} />
      )}
      <p className="font-semibold">{state.name}</p>
      <p className="text-slate-500">{widgetTypeName(t, state.type)}</p>
      {current && <p className="text-green-700">{t("flows.testRun.here")}</p>}
      {problems.length > 0 && (
        <ul aria-label={t("flows.problemsOf", { name: state.name })} className="mt-1 text-red-700">
          {problems.map((p) => (
            <li key={p}>⚠ {p}</li>
          ))}
        </ul>
      )}
      {state.transitions.map((transition, index) => {
        const left = `${((index + 1) / (count + 1)) * 100}%`;
        return (
          <div key={index}>
            <Handle
              type="source"
              position={Position.Bottom}
              id={String(index)}
              style={{ left }}
              data-testid={`handle-${state.name}-${transitionLabel(transition)}`}
            />
            <span
              className="absolute bottom-1 -translate-x-1/2 text-[10px] whitespace-nowrap text-slate-500"
              style={{ left }}
            >
              {transitionLabel(transition)}
            </span>
          </div>
        );
      })}
    </div>
  );
}

/** A widget type's name in the page's language ("Send & Wait For Reply"), or the type itself. */
export function widgetTypeName(t: TFunction, type: string): string {
  const names: Record<string, string> = t("flows.widgetTypes", { returnObjects: true });
  return names[type] ?? type;
}
