import type {
  Activity,
  Attributes,
  NewTask,
  NewWorker,
  Outcome,
  RoutingEngine,
  TaskChannel,
  TaskQueueConfig,
  TransferTarget,
  WorkflowConfig,
  WorkspaceSettings,
} from "@switchboard/engine";

/**
 * Everything that changes a workspace's routing state, as plain JSON. The writer records each
 * command it applies, with its time and the SIDs it generated; replaying the records through the
 * deterministic engine rebuilds the state. A command's shape is therefore a stored format: change
 * it only in ways that still read old records.
 */
export type RoutingCommand =
  | { op: "putActivity"; activity: Activity }
  | { op: "removeActivity"; sid: string }
  | { op: "putChannel"; channel: ChannelRecord }
  | { op: "removeChannel"; sid: string }
  | { op: "putQueue"; queue: QueueRecord }
  | { op: "removeQueue"; sid: string }
  | { op: "putWorkflow"; workflow: WorkflowRecord; reEvaluateTasks: boolean }
  | { op: "removeWorkflow"; sid: string }
  | { op: "updateSettings"; settings: Partial<WorkspaceSettings> }
  | { op: "createWorker"; worker: NewWorker }
  | {
      op: "updateWorker";
      sid: string;
      changes: {
        friendlyName?: string;
        attributes?: Attributes;
        activitySid?: string;
        rejectPendingReservations?: boolean;
      };
    }
  | { op: "setWorkerChannel"; workerSid: string; channel: string; capacity?: number; available?: boolean }
  | { op: "removeWorker"; sid: string }
  | { op: "createTask"; task: NewTask }
  | { op: "updateTask"; sid: string; attributes?: Attributes; priority?: number }
  | { op: "cancelTask" | "wrapUpTask" | "completeTask"; sid: string; reason?: string }
  | { op: "deleteTask"; sid: string }
  | { op: "acceptReservation" | "wrapUpReservation" | "completeReservation"; sid: string }
  | { op: "rejectReservation"; sid: string; activitySid?: string }
  | { op: "transferTask"; sid: string; to: TransferTarget; attributes?: Attributes }
  | { op: "fireDueTimers" };

export interface ChannelRecord extends TaskChannel {
  channelOptimizedRouting: boolean;
}

export interface QueueRecord extends TaskQueueConfig {
  /** Activities TaskRouter moves a worker to on reservation / assignment (kept for the API). */
  reservationActivitySid: string | null;
  assignmentActivitySid: string | null;
}

export interface WorkflowRecord extends WorkflowConfig {
  configuration: string;
  assignmentCallbackUrl: string | null;
  fallbackAssignmentCallbackUrl: string | null;
}

/** When a configuration resource was made and last changed (ms). */
export interface Dated<T> {
  record: T;
  dateCreated: number;
  dateUpdated: number;
}

/**
 * What the API shows of a workspace's configuration beside the engine: the engine takes what it
 * routes by, this keeps the full records and their dates. Built only by `applyCommand`, so it
 * replays with the engine.
 */
export class Catalog {
  readonly activities = new Map<string, Dated<Activity>>();
  readonly channels = new Map<string, Dated<ChannelRecord>>();
  readonly queues = new Map<string, Dated<QueueRecord>>();
  readonly workflows = new Map<string, Dated<WorkflowRecord>>();
  settings: WorkspaceSettings = { channelRules: [], prioritizeQueueOrder: "FIFO" };
}

/** Applies one command to the engine and the catalog at time `at`; the engine's RoutingError leaves both unchanged. */
export function applyCommand(
  engine: RoutingEngine,
  catalog: Catalog,
  command: RoutingCommand,
  at: number,
): Outcome<unknown> {
  switch (command.op) {
    case "putActivity": {
      const outcome = engine.putActivity(command.activity);
      put(catalog.activities, command.activity.sid, command.activity, at);
      return outcome;
    }
    case "removeActivity":
      return removed(catalog.activities, command.sid, engine.removeActivity(command.sid));
    case "putChannel": {
      const outcome = engine.putChannel(command.channel);
      put(catalog.channels, command.channel.sid, command.channel, at);
      return outcome;
    }
    case "removeChannel":
      return removed(catalog.channels, command.sid, engine.removeChannel(command.sid));
    case "putQueue": {
      const outcome = engine.putQueue(command.queue);
      put(catalog.queues, command.queue.sid, command.queue, at);
      return outcome;
    }
    case "removeQueue":
      return removed(catalog.queues, command.sid, engine.removeQueue(command.sid));
    case "putWorkflow": {
      const outcome = engine.putWorkflow(command.workflow, { reEvaluateTasks: command.reEvaluateTasks });
      put(catalog.workflows, command.workflow.sid, command.workflow, at);
      return outcome;
    }
    case "removeWorkflow":
      return removed(catalog.workflows, command.sid, engine.removeWorkflow(command.sid));
    case "updateSettings": {
      const outcome = engine.updateSettings(command.settings);
      catalog.settings = { ...catalog.settings, ...command.settings };
      return outcome;
    }
    case "createWorker":
      return engine.createWorker(command.worker);
    case "updateWorker":
      return engine.updateWorker(command.sid, command.changes);
    case "setWorkerChannel":
      return engine.setWorkerChannel(command.workerSid, command.channel, {
        ...(command.capacity !== undefined ? { capacity: command.capacity } : {}),
        ...(command.available !== undefined ? { available: command.available } : {}),
      });
    case "removeWorker":
      return engine.removeWorker(command.sid);
    case "createTask":
      return engine.createTask(command.task);
    case "updateTask":
      return engine.updateTask(command.sid, {
        ...(command.attributes !== undefined ? { attributes: command.attributes } : {}),
        ...(command.priority !== undefined ? { priority: command.priority } : {}),
      });
    case "cancelTask":
      return engine.cancelTask(command.sid, command.reason);
    case "wrapUpTask":
      return engine.wrapUpTask(command.sid, command.reason);
    case "completeTask":
      return engine.completeTask(command.sid, command.reason);
    case "deleteTask":
      return engine.deleteTask(command.sid);
    case "acceptReservation":
      return engine.acceptReservation(command.sid);
    case "rejectReservation":
      return engine.rejectReservation(
        command.sid,
        command.activitySid !== undefined ? { activitySid: command.activitySid } : {},
      );
    case "wrapUpReservation":
      return engine.wrapUpReservation(command.sid);
    case "completeReservation":
      return engine.completeReservation(command.sid);
    case "transferTask":
      return engine.transferTask(
        command.sid,
        command.to,
        command.attributes !== undefined ? { attributes: command.attributes } : {},
      );
    case "fireDueTimers":
      return engine.fireDueTimers();
  }
}

function put<T>(map: Map<string, Dated<T>>, sid: string, record: T, at: number): void {
  const existing = map.get(sid);
  map.set(sid, { record, dateCreated: existing?.dateCreated ?? at, dateUpdated: at });
}

function removed<T>(map: Map<string, Dated<unknown>>, sid: string, outcome: Outcome<T>): Outcome<T> {
  map.delete(sid);
  return outcome;
}
