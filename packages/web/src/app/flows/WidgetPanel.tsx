import { CONDITION_TYPES } from "@switchboard/engine/widgets";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { inputClass, jsonProblem, quietButtonClass } from "../admin/common.tsx";
import {
  connect,
  removeWidget,
  renameWidget,
  setConditions,
  setProperties,
  transitionLabel,
  type Condition,
  type FlowDefinition,
  type WidgetState,
} from "./model.ts";
import { liquidHints, PROPERTY_FIELDS, type PropertyField } from "./palette.ts";
import { widgetTypeName } from "./WidgetNode.tsx";

export interface Choices {
  workflows: Array<{ sid: string; friendly_name: string }>;
  channels: Array<{ sid: string; unique_name: string }>;
  flows: Array<{ sid: string; friendly_name: string }>;
}

const WIDGET_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The selected widget's side panel: its name, its properties (fields for the common ones, with
 * the Liquid variables in reach; JSON for everything), a split's conditions, where each transition
 * leads, and removing it.
 */
export function WidgetPanel({
  definition,
  state,
  problems,
  choices,
  onChange,
}: {
  definition: FlowDefinition;
  state: WidgetState;
  problems: string[];
  choices: Choices;
  onChange: (definition: FlowDefinition, selected?: string) => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(state.name);
  const [nameError, setNameError] = useState<string | undefined>();
  const [focused, setFocused] = useState<string | undefined>();
  const { offset: _offset, ...properties } = state.properties;
  const [json, setJson] = useState(() => JSON.stringify(properties, null, 2));
  const fields = PROPERTY_FIELDS[state.type] ?? [];
  const others = definition.states.filter((s) => s.name !== state.name && s.type !== "trigger");

  const setProperty = (property: string, value: unknown) => {
    const next = { ...properties, [property]: value };
    if (value === "" || value === undefined) delete next[property];
    setJson(JSON.stringify(next, null, 2));
    onChange(setProperties(definition, state.name, next));
  };
  const rename = () => {
    if (name === state.name) return;
    if (!WIDGET_NAME.test(name)) return setNameError(t("flows.panel.badName"));
    if (definition.states.some((s) => s.name === name)) return setNameError(t("flows.panel.nameTaken"));
    setNameError(undefined);
    onChange(renameWidget(definition, state.name, name), name);
  };
  const insertHint = (hint: string) => {
    if (!focused) return;
    const current = typeof properties[focused] === "string" ? properties[focused] : "";
    setProperty(focused, current + hint);
  };

  return (
    <aside
      aria-label={t("flows.panel.title", { name: state.name })}
      className="flex w-96 shrink-0 flex-col gap-3 overflow-y-auto border-l border-slate-200 bg-white p-3 text-sm"
    >
      <h2 className="font-semibold">
        {state.name} <span className="font-normal text-slate-500">· {widgetTypeName(t, state.type)}</span>
      </h2>
      {problems.length > 0 && (
        <ul role="alert" className="text-red-700">
          {problems.map((p) => (
            <li key={p}>⚠ {p}</li>
          ))}
        </ul>
      )}
      {state.type !== "trigger" && (
        <label className="flex flex-col gap-1">
          {t("flows.panel.name")}
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            onBlur={rename}
            onKeyDown={(e) => e.key === "Enter" && rename()}
            className={inputClass}
          />
          {nameError && <span className="text-red-700">{nameError}</span>}
        </label>
      )}
      {fields.map((field) => (
        <PropertyInput
          key={field.property}
          field={field}
          value={properties[field.property]}
          choices={choices}
          onFocus={() => setFocused(field.property)}
          onChange={(value) => setProperty(field.property, value)}
        />
      ))}
      {fields.some((f) => f.kind === "template" || f.kind === "long-template") && (
        <details open>
          <summary className="cursor-pointer text-slate-600">{t("flows.panel.liquidHints")}</summary>
          <p className="text-xs text-slate-500">{t("flows.panel.liquidHelp")}</p>
          <div className="mt-1 flex flex-wrap gap-1">
            {liquidHints(definition.states, state.name).map((hint) => (
              <button
                key={hint}
                type="button"
                disabled={!focused}
                onClick={() => insertHint(hint)}
                className="rounded bg-slate-100 px-1 font-mono text-xs disabled:opacity-50"
              >
                {hint}
              </button>
            ))}
          </div>
        </details>
      )}
      {state.type === "split-based-on" && (
        <SplitConditions definition={definition} state={state} targets={others} onChange={onChange} />
      )}
      <fieldset className="flex flex-col gap-1">
        <legend className="font-medium">{t("flows.panel.transitions")}</legend>
        {state.transitions.map((transition, index) =>
          transition.event === "match" ? null : (
            <label key={index} className="flex items-center justify-between gap-2">
              <span>{transitionLabel(transition)}</span>
              <select
                aria-label={t("flows.panel.transitionTo", { event: transitionLabel(transition) })}
                value={transition.next ?? ""}
                onChange={(e) =>
                  onChange(connect(definition, state.name, index, e.target.value || undefined))
                }
                className={inputClass}
              >
                <option value="">{t("flows.panel.end")}</option>
                {others.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          ),
        )}
      </fieldset>
      <details>
        <summary className="cursor-pointer text-slate-600">{t("flows.panel.allProperties")}</summary>
        <textarea
          aria-label={t("flows.panel.allProperties")}
          value={json}
          rows={10}
          onChange={(e) => {
            setJson(e.target.value);
            if (!jsonProblem(e.target.value))
              onChange(
                setProperties(
                  definition,
                  state.name,
                  JSON.parse(e.target.value || "{}") as Record<string, unknown>,
                ),
              );
          }}
          className={`${inputClass} w-full font-mono text-xs`}
        />
        {jsonProblem(json) && <p className="text-red-700">{jsonProblem(json)}</p>}
      </details>
      {state.type !== "trigger" && (
        <button
          type="button"
          onClick={() => onChange(removeWidget(definition, state.name), undefined)}
          className={`${quietButtonClass} self-start text-red-700`}
        >
          {t("flows.panel.remove")}
        </button>
      )}
    </aside>
  );
}

function PropertyInput({
  field,
  value,
  choices,
  onFocus,
  onChange,
}: {
  field: PropertyField;
  value: unknown;
  choices: Choices;
  onFocus: () => void;
  onChange: (value: string) => void;
}) {
  const { t } = useTranslation();
  // Studio keeps these as text, but exports may carry numbers (timeout: 3600); anything else shows as JSON.
  const text =
    value === undefined || value === null
      ? ""
      : typeof value === "string" || typeof value === "number"
        ? String(value)
        : JSON.stringify(value);
  const labels: Record<string, string> = t("flows.properties", { returnObjects: true });
  const label = labels[field.property] ?? field.property;
  const select = (options: Array<{ value: string; label: string }>) => (
    <select value={text} onChange={(e) => onChange(e.target.value)} className={inputClass}>
      <option value="">{t("flows.panel.choose")}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
      {text && !options.some((o) => o.value === text) && <option value={text}>{text}</option>}
    </select>
  );
  let input;
  switch (field.kind) {
    case "workflow":
      input = select(choices.workflows.map((w) => ({ value: w.sid, label: w.friendly_name })));
      break;
    case "channel":
      input = select(choices.channels.map((c) => ({ value: c.sid, label: c.unique_name })));
      break;
    case "flow":
      input = select(choices.flows.map((f) => ({ value: f.sid, label: f.friendly_name })));
      break;
    case "method":
      input = select(["GET", "POST"].map((m) => ({ value: m, label: m })));
      break;
    case "long-template":
      input = (
        <textarea
          value={text}
          rows={4}
          onFocus={onFocus}
          onChange={(e) => onChange(e.target.value)}
          className={`${inputClass} font-mono text-xs`}
        />
      );
      break;
    default:
      input = (
        <input
          value={text}
          inputMode={field.kind === "number" ? "numeric" : undefined}
          onFocus={onFocus}
          onChange={(e) => onChange(e.target.value)}
          className={`${inputClass} ${field.kind === "template" ? "font-mono text-xs" : ""}`}
        />
      );
  }
  return (
    <label className="flex flex-col gap-1">
      {label}
      {input}
    </label>
  );
}

/** A split's conditions, one per `match` transition: name, test, value and where it leads. */
function SplitConditions({
  definition,
  state,
  targets,
  onChange,
}: {
  definition: FlowDefinition;
  state: WidgetState;
  targets: WidgetState[];
  onChange: (definition: FlowDefinition) => void;
}) {
  const { t } = useTranslation();
  const input = typeof state.properties.input === "string" ? state.properties.input : "";
  const rows: Array<{ condition: Condition; next: string | undefined }> = state.transitions
    .filter((tr) => tr.event === "match")
    .map((tr) => ({
      condition: tr.conditions?.[0] ?? { friendly_name: "", arguments: [input], type: "equal_to", value: "" },
      next: tr.next,
    }));
  const save = (next: Array<{ condition: Condition; next: string | undefined }>) =>
    onChange(setConditions(definition, state.name, next));
  const lead = (index: number, next: string | undefined) =>
    save(rows.map((row, i) => (i === index ? { ...row, next } : row)));
  const edit = (index: number, change: Partial<Condition>) =>
    save(
      rows.map((row, i) => {
        if (i !== index) return row;
        // Studio names a condition after its test ("If value equal_to 2") until it is given a name.
        const automatic = (c: Condition) => `If value ${c.type} ${c.value}`;
        const named =
          row.condition.friendly_name !== "" && row.condition.friendly_name !== automatic(row.condition);
        const condition = { ...row.condition, ...change };
        if (!named && !("friendly_name" in change)) condition.friendly_name = automatic(condition);
        return { ...row, condition };
      }),
    );
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="font-medium">{t("flows.panel.conditions")}</legend>
      {rows.map((row, index) => (
        <div key={index} className="grid grid-cols-2 gap-1 rounded border border-slate-200 p-2">
          <input
            aria-label={t("flows.panel.conditionName")}
            placeholder={t("flows.panel.conditionName")}
            value={row.condition.friendly_name}
            onChange={(e) => edit(index, { friendly_name: e.target.value })}
            className={inputClass}
          />
          <select
            aria-label={t("flows.panel.conditionType")}
            value={row.condition.type}
            onChange={(e) => edit(index, { type: e.target.value })}
            className={inputClass}
          >
            {CONDITION_TYPES.map((type) => (
              <option key={type} value={type}>
                {type.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          <input
            aria-label={t("flows.panel.conditionValue")}
            placeholder={t("flows.panel.conditionValue")}
            value={row.condition.value}
            onChange={(e) => edit(index, { value: e.target.value, arguments: [input] })}
            className={inputClass}
          />
          <select
            aria-label={t("flows.panel.conditionTo")}
            value={row.next ?? ""}
            onChange={(e) => lead(index, e.target.value || undefined)}
            className={inputClass}
          >
            <option value="">{t("flows.panel.end")}</option>
            {targets.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            onClick={() => save(rows.filter((_, i) => i !== index))}
            className="col-span-2 justify-self-start text-xs text-red-700 underline"
          >
            {t("flows.panel.removeCondition")}
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          save([
            ...rows,
            {
              condition: { friendly_name: "", arguments: [input], type: "equal_to", value: "" },
              next: undefined,
            },
          ])
        }
        className={`${quietButtonClass} self-start`}
      >
        {t("flows.panel.addCondition")}
      </button>
    </fieldset>
  );
}
