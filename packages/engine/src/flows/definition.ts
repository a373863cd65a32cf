import { isSid } from "../ids.ts";
import type { Templates } from "./templates.ts";
import { CONDITION_TYPES, WIDGETS, type ConditionType } from "./widgets.ts";

/** A Studio flow definition: the `definition` JSON of the Flows API and of Console exports. */
export interface FlowDefinition {
  description?: string;
  states: WidgetState[];
  /** The name of the trigger widget, where every execution starts. */
  initial_state: string;
  flags?: { allow_concurrent_calls: boolean };
  $schema?: string;
}

export interface WidgetState {
  name: string;
  type: string;
  transitions: Transition[];
  properties: Record<string, unknown>;
}

/** Without `next` (or with an empty one), taking the event ends the execution. */
export interface Transition {
  event: string;
  next?: string;
  /** split-based-on's `match` transitions only: the branch's condition. */
  conditions?: Condition[];
}

export interface Condition {
  friendly_name?: string;
  /** Templates; the first is what the condition tests. */
  arguments: string[];
  type: ConditionType;
  value: string;
}

/** One thing wrong (or doubtful) with a definition, where Studio's FlowValidate would put it. */
export interface FlowProblem {
  message: string;
  /** A JSON pointer into the definition, e.g. `#/states/3/transitions/0/next`. */
  property_path: string;
}

export interface FlowCheck {
  errors: FlowProblem[];
  warnings: FlowProblem[];
  /** The definition with other spellings of properties renamed to Studio's export spelling. */
  definition: FlowDefinition | undefined;
}

/** Studio's limit on widgets per flow. */
export const MAX_STATES = 1_000;
const WIDGET_NAME = /^[A-Za-z0-9_-]+$/;
const WHOLE_NUMBER = /^\d+$/;

/**
 * Everything wrong with a definition, checked the way Studio's FlowValidate does: the envelope, each
 * widget's type, transitions and required properties, split conditions, the syntax of every Liquid
 * template, and the few properties whose values must be numbers. Widgets no transition reaches are
 * warnings. The definition comes back normalised (see `FlowCheck.definition`) when it is an object.
 */
export function checkFlow(value: unknown, templates: Templates): FlowCheck {
  const errors: FlowProblem[] = [];
  const warnings: FlowProblem[] = [];
  const error = (property_path: string, message: string) => errors.push({ message, property_path });
  if (!isObject(value)) {
    error("#", "The definition must be a JSON object");
    return { errors, warnings, definition: undefined };
  }
  const definition = normalise(value);
  if (!Array.isArray(value.states) || value.states.length === 0) {
    error("#/states", "states must be a list of at least one widget");
    return { errors, warnings, definition };
  }
  if (value.states.length > MAX_STATES) error("#/states", `A flow has at most ${MAX_STATES} widgets`);
  if (value.flags !== undefined) {
    if (!isObject(value.flags) || typeof value.flags.allow_concurrent_calls !== "boolean")
      error("#/flags/allow_concurrent_calls", "flags needs allow_concurrent_calls, true or false");
  }

  const names = new Map<string, number>();
  definition.states.forEach((state, i) => {
    if (!isObject(state)) return;
    const name: unknown = state.name;
    if (typeof name !== "string" || !WIDGET_NAME.test(name))
      error(`#/states/${i}/name`, "A widget name is letters, digits, _ and - only");
    else if (names.has(name)) error(`#/states/${i}/name`, `Another widget is already named ${name}`);
    else names.set(name, i);
  });

  const triggers = definition.states.filter((state) => isObject(state) && state.type === "trigger");
  if (triggers.length !== 1)
    error("#/states", `A flow has exactly one trigger widget; this one has ${triggers.length}`);
  if (typeof value.initial_state !== "string" || !names.has(value.initial_state))
    error("#/initial_state", "initial_state must name a widget of the flow");
  else if (definition.states[names.get(value.initial_state)!]!.type !== "trigger")
    error("#/initial_state", "initial_state must name the trigger widget");

  definition.states.forEach((state, i) => {
    const at = `#/states/${i}`;
    if (!isObject(state)) return error(at, "A widget must be a JSON object");
    const spec = WIDGETS[state.type];
    if (!spec) return error(`${at}/type`, `Widget type ${String(state.type)} is not supported`);
    checkTransitions(state, spec.events, at, names, error, templates);
    if (!isObject(state.properties)) return error(`${at}/properties`, "properties must be a JSON object");
    for (const property of spec.required)
      if (isBlank(state.properties[property]))
        error(`${at}/properties/${property}`, `${property} is required for ${state.type}`);
    if (spec.oneOf && spec.oneOf.every((property) => isBlank(state.properties[property])))
      error(`${at}/properties`, `${state.type} needs one of ${spec.oneOf.join(", ")}`);
    checkProperties(state, `${at}/properties`, error);
    for (const [path, template] of templatesIn(state.properties, `${at}/properties`)) {
      const problem = templates.problem(template);
      if (problem) error(path, `Invalid Liquid template: ${problem}`);
    }
  });

  if (errors.length === 0)
    for (const [i, state] of definition.states.entries())
      if (!reachable(definition).has(state.name))
        warnings.push({
          message: `No transition leads to widget ${state.name}`,
          property_path: `#/states/${i}`,
        });
  return { errors, warnings, definition };
}

function checkTransitions(
  state: WidgetState,
  events: readonly string[],
  at: string,
  names: Map<string, number>,
  error: (path: string, message: string) => void,
  templates: Templates,
): void {
  if (!Array.isArray(state.transitions)) return error(`${at}/transitions`, "transitions must be a list");
  const seen = new Set<string>();
  state.transitions.forEach((transition, j) => {
    const path = `${at}/transitions/${j}`;
    if (!isObject(transition)) return error(path, "A transition must be a JSON object");
    if (!events.includes(transition.event))
      return error(`${path}/event`, `${state.type} has no event ${String(transition.event)}`);
    const conditional = state.type === "split-based-on" && transition.event === "match";
    if (!conditional && seen.has(transition.event))
      error(`${path}/event`, `Event ${transition.event} has more than one transition`);
    seen.add(transition.event);
    if (transition.next !== undefined && transition.next !== "") {
      if (typeof transition.next !== "string" || !names.has(transition.next))
        error(`${path}/next`, `No widget is named ${String(transition.next)}`);
    }
    if (conditional) checkConditions(transition.conditions, `${path}/conditions`, error, templates);
    else if (
      transition.conditions !== undefined &&
      !(Array.isArray(transition.conditions) && transition.conditions.length === 0)
    )
      error(`${path}/conditions`, "Only split-based-on match transitions have conditions");
  });
}

function checkConditions(
  conditions: unknown,
  at: string,
  error: (path: string, message: string) => void,
  templates: Templates,
): void {
  if (!Array.isArray(conditions) || conditions.length === 0)
    return error(at, "A match transition needs a condition");
  conditions.forEach((condition: unknown, k) => {
    const path = `${at}/${k}`;
    if (!isObject(condition)) return error(path, "A condition must be a JSON object");
    if (!(CONDITION_TYPES as readonly unknown[]).includes(condition.type))
      error(
        `${path}/type`,
        `Condition type ${String(condition.type)} is not one of ${CONDITION_TYPES.join(", ")}`,
      );
    if (
      !Array.isArray(condition.arguments) ||
      condition.arguments.length === 0 ||
      !condition.arguments.every((argument) => typeof argument === "string")
    )
      error(`${path}/arguments`, "arguments must be a list of templates");
    else
      condition.arguments.forEach((argument: string, n) => {
        const problem = templates.problem(argument);
        if (problem) error(`${path}/arguments/${n}`, `Invalid Liquid template: ${problem}`);
      });
    const blankTest = condition.type === "is_blank" || condition.type === "is_not_blank";
    if (typeof condition.value !== "string" && !(blankTest && condition.value === undefined))
      error(`${path}/value`, "value must be a string");
    else if (typeof condition.value === "string") {
      const problem = templates.problem(condition.value);
      if (problem) error(`${path}/value`, `Invalid Liquid template: ${problem}`);
    }
  });
}

/** The properties whose values Studio reads as numbers, lists or SIDs. */
function checkProperties(
  state: WidgetState,
  at: string,
  error: (path: string, message: string) => void,
): void {
  const properties = state.properties;
  const wholeNumber = (property: string) => {
    const value = properties[property];
    if (value === undefined || value === "") return;
    const literal = typeof value === "number" ? String(value) : value;
    if (typeof literal === "string" && (literal.includes("{") || WHOLE_NUMBER.test(literal.trim()))) return;
    error(`${at}/${property}`, `${property} must be a whole number`);
  };
  const pairs = (property: string) => {
    const value = properties[property];
    if (value === undefined) return;
    if (!Array.isArray(value))
      return error(`${at}/${property}`, `${property} must be a list of {key, value}`);
    value.forEach((pair: unknown, n) => {
      if (!isObject(pair) || typeof pair.key !== "string" || pair.key === "")
        error(`${at}/${property}/${n}/key`, "Each entry needs a key");
    });
  };
  switch (state.type) {
    case "send-and-wait-for-reply":
      return wholeNumber("timeout");
    case "set-variables":
      return pairs("variables");
    case "make-http-request": {
      pairs("parameters");
      const method = scalar(properties.method).toUpperCase();
      if (method !== "" && method !== "GET" && method !== "POST")
        error(`${at}/method`, "method must be GET or POST");
      const type = scalar(properties.content_type).toLowerCase();
      if (
        type !== "" &&
        !type.startsWith("application/json") &&
        !type.startsWith("application/x-www-form-urlencoded")
      )
        error(
          `${at}/content_type`,
          "content_type must be application/x-www-form-urlencoded or application/json",
        );
      return;
    }
    case "run-function":
      return pairs("parameters");
    case "run-subflow": {
      pairs("parameters");
      const flow = properties.flow_sid;
      if (typeof flow === "string" && flow !== "" && !flow.includes("{") && !isSid(flow, "FW"))
        error(`${at}/flow_sid`, "flow_sid must be a Flow SID (FW…)");
      const revision = properties.flow_revision;
      if (
        revision !== undefined &&
        revision !== "LatestPublished" &&
        revision !== "LatestRevision" &&
        !WHOLE_NUMBER.test(scalar(revision))
      )
        error(`${at}/flow_revision`, "flow_revision must be LatestPublished, LatestRevision or a number");
      return;
    }
    case "send-to-flex":
      wholeNumber("priority");
      return wholeNumber("timeout");
  }
}

/** Every string inside a widget's properties, with its path: each one is a Liquid template. */
function* templatesIn(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* templatesIn(item, `${path}/${i}`);
  else if (isObject(value))
    for (const [key, item] of Object.entries(value))
      if (key !== "offset") yield* templatesIn(item, `${path}/${key}`);
}

/** The widgets reachable from the trigger. */
function reachable(definition: FlowDefinition): Set<string> {
  const byName = new Map(definition.states.map((state) => [state.name, state]));
  const seen = new Set<string>([definition.initial_state]);
  const stack = [definition.initial_state];
  while (stack.length > 0) {
    for (const transition of byName.get(stack.pop()!)?.transitions ?? [])
      if (transition.next && !seen.has(transition.next)) {
        seen.add(transition.next);
        stack.push(transition.next);
      }
  }
  return seen;
}

/** A copy with every property alias renamed to Studio's export spelling (unless both are present). */
function normalise(value: Record<string, unknown>): FlowDefinition {
  const copy = structuredClone(value) as unknown as FlowDefinition;
  if (!Array.isArray(copy.states)) return copy;
  for (const state of copy.states) {
    const aliases = isObject(state) ? WIDGETS[state.type]?.aliases : undefined;
    if (!aliases || !isObject(state.properties)) continue;
    for (const [alias, name] of Object.entries(aliases))
      if (alias in state.properties && !(name in state.properties)) {
        state.properties[name] = state.properties[alias];
        delete state.properties[alias];
      }
  }
  return copy;
}

/** A string, number or boolean property as text; anything else as "". */
function scalar(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : "";
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
