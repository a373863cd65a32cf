export { checkFlow, MAX_STATES } from "./definition.ts";
export type {
  Condition,
  FlowCheck,
  FlowDefinition,
  FlowProblem,
  Transition,
  WidgetState,
} from "./definition.ts";
export { conditionHolds } from "./conditions.ts";
export { ENDED, MAX_STEPS, MAX_VISITS_WITHOUT_INPUT, RunnableFlow } from "./interpreter.ts";
export type {
  Effect,
  ExecutionInput,
  ExecutionStart,
  ExecutionState,
  FlowContext,
  Progress,
  Step,
  Wait,
} from "./interpreter.ts";
export { MAX_TEMPLATE_OUTPUT, TemplateError, Templates } from "./templates.ts";
export { CONDITION_TYPES, FAILURE_EVENT, TRIGGER_EVENTS, WIDGETS } from "./widgets.ts";
export type { ConditionType, TriggerEvent, WidgetRuns, WidgetSpec } from "./widgets.ts";
