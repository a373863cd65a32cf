/**
 * @switchboard/engine — pure, deterministic contact-center domain logic (no I/O; clock and SIDs injected).
 *
 * - SIDs and clocks: `isSid`, `sequentialSids`, `ManualClock`
 * - Expressions: `compileExpression` for TaskRouter expressions in every scope
 * - Routing: `RoutingEngine`, one workspace's router with TaskRouter semantics; `Scenario` builds one quickly
 * - Workforce math: Erlang C (`probabilityOfWaiting`, `serviceLevel`, `averageSpeedOfAnswer`, `agentsNeeded`)
 *   and `estimateWaitTime` from live queue state
 * - Simulation: `simulate` drives the real engine on a virtual clock with simulated traffic and agents
 * - Flows: `checkFlow` validates a Studio definition; `RunnableFlow` runs executions as plain data,
 *   asking the host for effects (messages, HTTP calls, tasks, subflows)
 */
export { isSid, sequentialSids, assertPrefix } from "./ids.ts";
export type { SidGenerator, SidPrefix } from "./ids.ts";
export { ManualClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export * from "./expressions/index.ts";
export { RoutingEngine } from "./routing/engine.ts";
export type {
  CandidateVerdict,
  EngineOptions,
  Explanation,
  NewTask,
  NewWorker,
  Outcome,
  SampleRoute,
  SampleStep,
  TransferTarget,
  WaitingPosition,
  Verdict,
} from "./routing/engine.ts";
export { describeEvent, eventCallbackParams } from "./routing/events.ts";
export type {
  ResourceType,
  RoutingEvent,
  RoutingEventType,
  TaskSnapshot,
  WorkerSnapshot,
  WorkspaceIdentity,
} from "./routing/events.ts";
export { ACTIVE_RESERVATION, RoutingError } from "./routing/model.ts";
export type {
  Activity,
  ChannelRule,
  ReservationStatus,
  ReservationView,
  RoutingErrorCode,
  RoutingPosition,
  TaskChannel,
  TaskOrder,
  TaskQueueConfig,
  TaskStatus,
  TaskView,
  WorkerChannelState,
  WorkerView,
  WorkflowConfig,
  WorkspaceSettings,
} from "./routing/model.ts";
export type { Scope } from "./routing/statistics.ts";
export { compileWorkflow } from "./routing/workflow.ts";
export type { CompiledWorkflow, Filter, Target } from "./routing/workflow.ts";
export {
  agentsNeeded,
  averageSpeedOfAnswer,
  erlangB,
  intensity,
  occupancy,
  probabilityOfWaiting,
  serviceLevel,
} from "./workforce/erlang.ts";
export type { Traffic } from "./workforce/erlang.ts";
export { estimateWaitTime } from "./workforce/wait-time.ts";
export type { QueueState as WaitingQueueState, WaitEstimate } from "./workforce/wait-time.ts";
export { simulate } from "./simulation/simulator.ts";
export type { SimulationConfig, SimulationResult, StreamResult } from "./simulation/simulator.ts";
export type { Distribution } from "./simulation/random.ts";
export { Scenario } from "./routing/scenario.ts";
export * from "./flows/index.ts";
export * from "./insights/index.ts";
