import { WIDGETS } from "@switchboard/engine/widgets";

/**
 * The flow builder's model: a Studio definition, edited in place. The definition itself is the
 * only state — the canvas's nodes and edges are drawn from it — and every edit changes just the
 * part it is about, so whatever the builder does not understand (unknown properties, `uuid`s,
 * flags) is kept, and an imported flow exports byte-for-byte as it came (given the same
 * indentation) until someone changes it.
 */

export interface Transition {
  event: string;
  next?: string;
  conditions?: Condition[];
  [other: string]: unknown;
}

export interface Condition {
  friendly_name: string;
  arguments: string[];
  type: string;
  value: string;
  [other: string]: unknown;
}

export interface WidgetState {
  name: string;
  type: string;
  transitions: Transition[];
  properties: Record<string, unknown> & { offset?: { x: number; y: number } };
  [other: string]: unknown;
}

export interface FlowDefinition {
  description?: string;
  states: WidgetState[];
  initial_state: string;
  flags?: Record<string, unknown>;
  [other: string]: unknown;
}

/** What a new flow starts as: a trigger and nothing else. */
export function emptyFlow(description: string): FlowDefinition {
  return {
    description,
    states: [
      {
        name: "Trigger",
        type: "trigger",
        transitions: (WIDGETS.trigger?.events ?? []).map((event) => ({ event })),
        properties: { offset: { x: 0, y: 0 } },
      },
    ],
    initial_state: "Trigger",
    flags: { allow_concurrent_calls: true },
  };
}

/** Where each widget type starts when dragged in from the palette. */
const STARTING_PROPERTIES: Record<string, Record<string, unknown>> = {
  "send-message": { from: "{{flow.channel.address}}", to: "{{contact.channel.address}}", body: "" },
  "send-and-wait-for-reply": { from: "{{flow.channel.address}}", body: "", timeout: "3600" },
  "split-based-on": { input: "{{trigger.message.Body}}" },
  "set-variables": { variables: [] },
  "make-http-request": {
    method: "POST",
    content_type: "application/x-www-form-urlencoded;charset=utf-8",
    url: "",
  },
  "run-function": { url: "" },
  "run-subflow": { flow_sid: "", flow_revision: "LatestPublished", parameters: [] },
  "send-to-flex": {
    workflow: "",
    channel: "",
    attributes: JSON.stringify({
      name: "{{trigger.message.ChannelAttributes.from}}",
      channelType: "{{trigger.message.ChannelAttributes.channel_type}}",
      channelSid: "{{trigger.message.ChannelSid}}",
    }),
  },
};

/** Transitions a widget starts with: one per event, except split's `match`, added per condition. */
function startingTransitions(type: string): Transition[] {
  return (WIDGETS[type]?.events ?? [])
    .filter((event) => !(type === "split-based-on" && event === "match"))
    .map((event) => ({ event }));
}

/** A name no widget has yet: `send_message_1`, `send_message_2`, … */
export function freshName(definition: FlowDefinition, type: string): string {
  const base = type.replace(/-/g, "_");
  const taken = new Set(definition.states.map((s) => s.name));
  for (let n = 1; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

export function addWidget(
  definition: FlowDefinition,
  type: string,
  offset: { x: number; y: number },
): { definition: FlowDefinition; name: string } {
  const name = freshName(definition, type);
  const state: WidgetState = {
    name,
    type,
    transitions: startingTransitions(type),
    properties: {
      ...STARTING_PROPERTIES[type],
      offset: { x: Math.round(offset.x), y: Math.round(offset.y) },
    },
  };
  return { definition: { ...definition, states: [...definition.states, state] }, name };
}

/** Changes one widget, leaving every other object as it was. */
function changeWidget(
  definition: FlowDefinition,
  name: string,
  change: (state: WidgetState) => WidgetState,
): FlowDefinition {
  return { ...definition, states: definition.states.map((s) => (s.name === name ? change(s) : s)) };
}

export function moveWidget(definition: FlowDefinition, name: string, offset: { x: number; y: number }) {
  return changeWidget(definition, name, (s) => ({
    ...s,
    properties: { ...s.properties, offset: { x: Math.round(offset.x), y: Math.round(offset.y) } },
  }));
}

export function setProperties(definition: FlowDefinition, name: string, properties: Record<string, unknown>) {
  return changeWidget(definition, name, (s) => ({
    ...s,
    // The position is the canvas's, not the form's.
    properties: { ...properties, ...(s.properties.offset && { offset: s.properties.offset }) },
  }));
}

/** Points a widget's transition at another widget (or nowhere, with `undefined`). */
export function connect(
  definition: FlowDefinition,
  source: string,
  index: number,
  target: string | undefined,
) {
  return changeWidget(definition, source, (s) => ({
    ...s,
    transitions: s.transitions.map((t, i) => {
      if (i !== index) return t;
      const { next: _old, ...rest } = t;
      return target === undefined ? rest : { ...rest, next: target };
    }),
  }));
}

/** Removes a widget and every transition into it. The trigger stays: a flow starts there. */
export function removeWidget(definition: FlowDefinition, name: string): FlowDefinition {
  if (name === definition.initial_state) return definition;
  return {
    ...definition,
    states: definition.states
      .filter((s) => s.name !== name)
      .map((s) =>
        s.transitions.some((t) => t.next === name)
          ? {
              ...s,
              transitions: s.transitions.map((t) => {
                if (t.next !== name) return t;
                const { next: _gone, ...rest } = t;
                return rest;
              }),
            }
          : s,
      ),
  };
}

/** Renames a widget and every reference to it (transitions, the initial state). */
export function renameWidget(definition: FlowDefinition, from: string, to: string): FlowDefinition {
  const renamed = (value: string | undefined) => (value === from ? to : value);
  return {
    ...definition,
    initial_state: renamed(definition.initial_state)!,
    states: definition.states.map((s) => {
      const transitions = s.transitions.some((t) => t.next === from)
        ? s.transitions.map((t) => (t.next === from ? { ...t, next: to } : t))
        : s.transitions;
      return s.name === from ? { ...s, name: to, transitions } : { ...s, transitions };
    }),
  };
}

/** A split's conditions are its `match` transitions: one each. */
export function setConditions(
  definition: FlowDefinition,
  name: string,
  conditions: Array<{ condition: Condition; next: string | undefined }>,
): FlowDefinition {
  return changeWidget(definition, name, (s) => {
    const others = s.transitions.filter((t) => t.event !== "match");
    const matches = conditions.map(({ condition, next }) => ({
      ...(next !== undefined && { next }),
      event: "match",
      conditions: [condition],
    }));
    return { ...s, transitions: [...others, ...matches] };
  });
}

/** A transition's label on the canvas: a condition's name for a split's matches, else the event. */
export function transitionLabel(transition: Transition): string {
  if (transition.event === "match") return transition.conditions?.[0]?.friendly_name || "match";
  return transition.event;
}

/**
 * Studio's validation errors point into the definition (`#/states/3/properties/body`); the builder
 * pins each to the widget it names, and keeps the rest (the envelope's) for the flow itself.
 */
export function problemsByWidget(
  definition: FlowDefinition,
  problems: Array<{ message: string; property_path: string }>,
): { byWidget: Map<string, string[]>; general: string[] } {
  const byWidget = new Map<string, string[]>();
  const general: string[] = [];
  for (const problem of problems) {
    const match = /^#\/states\/(\d+)/.exec(problem.property_path);
    const state = match ? definition.states[Number(match[1])] : undefined;
    if (!state) {
      general.push(problem.message);
      continue;
    }
    const list = byWidget.get(state.name) ?? [];
    list.push(problem.message);
    byWidget.set(state.name, list);
  }
  return { byWidget, general };
}
