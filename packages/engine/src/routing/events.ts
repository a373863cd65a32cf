import type { Attributes } from "../expressions/index.ts";
import type { ReservationStatus, TaskStatus, WorkerSnapshot } from "./model.ts";

export type { WorkerSnapshot };

export type RoutingEventType =
  | "activity.created"
  | "activity.updated"
  | "activity.deleted"
  | "task-channel.created"
  | "task-channel.updated"
  | "task-channel.deleted"
  | "task-queue.created"
  | "task-queue.deleted"
  | "task-queue.expression.updated"
  | "task-queue.entered"
  | "task-queue.moved"
  | "task-queue.timeout"
  | "workflow.created"
  | "workflow.updated"
  | "workflow.deleted"
  | "workflow.entered"
  | "workflow.target-matched"
  | "workflow.timeout"
  | "workflow.skipped"
  | "worker.created"
  | "worker.deleted"
  | "worker.activity.update"
  | "worker.attributes.update"
  | "worker.capacity.update"
  | "worker.channel.availability.update"
  | "task.created"
  | "task.updated"
  | "task.canceled"
  | "task.wrapup"
  | "task.completed"
  | "task.deleted"
  | "task.transfer-initiated"
  | "task.transfer-completed"
  | "task.transfer-failed"
  | "reservation.created"
  | "reservation.accepted"
  | "reservation.rejected"
  | "reservation.timeout"
  | "reservation.canceled"
  | "reservation.rescinded"
  | "reservation.wrapup"
  | "reservation.completed";

export type ResourceType =
  "activity" | "task-channel" | "task-queue" | "workflow" | "worker" | "task" | "reservation";

/** The task as it was when the event happened. */
export interface TaskSnapshot {
  sid: string;
  attributes: Attributes;
  priority: number;
  status: TaskStatus;
  dateCreated: number;
  channelSid: string;
  channelUniqueName: string;
  queueSid: string | undefined;
  queueName: string | undefined;
  workflowSid: string | undefined;
  workflowName: string | undefined;
  reason: string | undefined;
}

/**
 * Something that happened in a workspace, with snapshots of what it concerned as it was then. Its
 * human-readable text comes from `describeEvent`, built on demand rather than on the routing path.
 */
export interface RoutingEvent {
  type: RoutingEventType;
  /** Clock time of the event, ms. */
  at: number;
  resourceType: ResourceType;
  resourceSid: string;
  task?: TaskSnapshot;
  worker?: WorkerSnapshot;
  reservation?: { sid: string; status: ReservationStatus };
  queue?: { sid: string; name: string; targetWorkers: string };
  workflow?: { sid: string; name: string };
  activity?: { sid: string; name: string; available: boolean };
  channel?: { sid: string; uniqueName: string; friendlyName: string };
  /** worker.activity.update: the activity left and how long the worker was in it. */
  previousActivity?: { sid: string; name: string; durationMs: number };
  /** workflow.target-matched, task-queue.timeout, workflow.skipped, workflow.timeout: the routing step. */
  step?: { filterName: string; index: number };
  /** worker.capacity.update / worker.channel.availability.update. */
  workerChannel?: { capacity: number; previousCapacity: number; available: boolean; taskCount: number };
}

export interface WorkspaceIdentity {
  accountSid: string;
  workspaceSid: string;
  workspaceName: string;
}

/**
 * The parameters TaskRouter POSTs to an EventCallbackUrl for this event (PascalCase, attributes as
 * JSON strings). Built on demand, so the engine's hot path only records snapshots.
 */
export function eventCallbackParams(
  event: RoutingEvent,
  workspace: WorkspaceIdentity,
): Record<string, string> {
  const p: Record<string, string> = {
    EventType: event.type,
    AccountSid: workspace.accountSid,
    WorkspaceSid: workspace.workspaceSid,
    WorkspaceName: workspace.workspaceName,
    EventDescription: describeEvent(event),
    ResourceType: event.resourceType,
    ResourceSid: event.resourceSid,
    Timestamp: String(Math.floor(event.at / 1000)),
    TimestampMs: String(event.at),
  };
  const { task, worker } = event;
  if (task) {
    p.TaskSid = task.sid;
    p.TaskAttributes = JSON.stringify(task.attributes);
    p.TaskAge = String(Math.max(0, Math.floor((event.at - task.dateCreated) / 1000)));
    p.TaskPriority = String(task.priority);
    p.TaskAssignmentStatus = task.status;
    p.TaskChannelSid = task.channelSid;
    p.TaskChannelUniqueName = task.channelUniqueName;
    if (task.queueSid) p.TaskQueueSid = task.queueSid;
    if (task.queueName) p.TaskQueueName = task.queueName;
    if (task.workflowSid) p.WorkflowSid = task.workflowSid;
    if (task.workflowName) p.WorkflowName = task.workflowName;
    if (task.status === "canceled" && task.reason) p.TaskCanceledReason = task.reason;
    if (task.status === "completed" && task.reason) p.TaskCompletedReason = task.reason;
  }
  if (worker) {
    p.WorkerSid = worker.sid;
    p.WorkerName = worker.friendlyName;
    p.WorkerAttributes = JSON.stringify(worker.attributes);
    p.WorkerActivitySid = worker.activitySid;
    p.WorkerActivityName = worker.activityName;
    // Not a TaskRouter parameter: reporting needs to know whether the worker could take work.
    p.WorkerActivityAvailable = String(worker.available);
  }
  if (event.reservation) p.ReservationSid = event.reservation.sid;
  if (event.queue) {
    p.TaskQueueSid = event.queue.sid;
    p.TaskQueueName = event.queue.name;
    p.TaskQueueTargetExpression = event.queue.targetWorkers;
  }
  if (event.workflow) {
    p.WorkflowSid = event.workflow.sid;
    p.WorkflowName = event.workflow.name;
  }
  if (event.activity) {
    p.ActivitySid = event.activity.sid;
    p.ActivityName = event.activity.name;
    p.ActivityAvailable = String(event.activity.available);
  }
  if (event.channel) {
    p.TaskChannelSid = event.channel.sid;
    p.TaskChannelUniqueName = event.channel.uniqueName;
    p.TaskChannelName = event.channel.friendlyName;
  }
  if (event.previousActivity) {
    p.WorkerPreviousActivitySid = event.previousActivity.sid;
    p.WorkerPreviousActivityName = event.previousActivity.name;
    p.WorkerTimeInPreviousActivity = String(Math.floor(event.previousActivity.durationMs / 1000));
    p.WorkerTimeInPreviousActivityMs = String(event.previousActivity.durationMs);
  }
  if (event.workerChannel) {
    p.WorkerChannelAvailable = String(event.workerChannel.available);
    p.WorkerChannelAvailableCapacity = String(
      Math.max(0, event.workerChannel.capacity - event.workerChannel.taskCount),
    );
    p.WorkerChannelPreviousCapacity = String(event.workerChannel.previousCapacity);
    p.WorkerChannelTaskCount = String(event.workerChannel.taskCount);
  }
  return p;
}

/** The event's description, as TaskRouter words them ("Worker Alice updated to Idle Activity"). */
export function describeEvent(event: RoutingEvent): string {
  const task = event.task?.sid ?? event.resourceSid;
  const worker = event.worker?.friendlyName ?? event.resourceSid;
  const verb = event.type.slice(event.type.lastIndexOf(".") + 1);
  switch (event.type) {
    case "activity.created":
    case "activity.updated":
    case "activity.deleted":
      return `Activity ${event.activity?.name ?? event.resourceSid} ${verb}`;
    case "task-channel.created":
    case "task-channel.updated":
    case "task-channel.deleted":
      return `TaskChannel ${event.channel?.uniqueName ?? event.resourceSid} ${verb}`;
    case "task-queue.created":
    case "task-queue.deleted":
      return `TaskQueue ${event.queue?.name ?? event.resourceSid} ${verb}`;
    case "task-queue.expression.updated":
      return `TaskQueue ${event.queue?.name ?? event.resourceSid} expression updated`;
    case "workflow.created":
    case "workflow.updated":
    case "workflow.deleted":
      return `Workflow ${event.workflow?.name ?? event.resourceSid} ${verb}`;
    case "worker.created":
    case "worker.deleted":
      return `Worker ${worker} ${verb}`;
    case "worker.attributes.update":
      return `Worker ${worker} attributes updated`;
    case "worker.capacity.update":
      return `Worker ${worker} capacity on ${event.channel?.uniqueName} updated to ${event.workerChannel?.capacity}`;
    case "worker.channel.availability.update":
      return `Worker ${worker} ${event.workerChannel?.available ? "available" : "unavailable"} on ${event.channel?.uniqueName}`;
    case "worker.activity.update":
      return `Worker ${worker} updated to ${event.worker?.activityName} Activity`;
    case "task.created":
    case "task.updated":
    case "task.deleted":
    case "task.completed":
      return `Task ${task} ${verb}`;
    case "task.canceled":
      return `Task ${task} canceled: ${event.task?.reason ?? "no reason given"}`;
    case "task.wrapup":
      return `Task ${task} wrapping up`;
    case "task.transfer-initiated":
      return `Task ${task} transfer initiated`;
    case "task.transfer-completed":
      return `Task ${task} transferred to ${worker}`;
    case "task.transfer-failed":
      return `Transfer of task ${task} failed`;
    case "workflow.entered":
      return `Task ${task} entered workflow ${event.workflow?.name}`;
    case "workflow.target-matched":
      return `Task ${task} matched ${event.step?.filterName}, step ${event.step?.index}`;
    case "workflow.skipped":
      return `Task ${task} skipped every step of ${event.step?.filterName}`;
    case "workflow.timeout":
      return `Task ${task} timed out of the last step of ${event.step?.filterName}`;
    case "task-queue.entered":
      return `Task ${task} entered ${event.queue?.name}`;
    case "task-queue.moved":
      return `Task ${task} moved to ${event.queue?.name}`;
    case "task-queue.timeout":
      return `Task ${task} timed out of step ${event.step?.index} in ${event.queue?.name}`;
    case "reservation.created":
      return `Reservation ${event.resourceSid} created for ${worker}`;
    case "reservation.accepted":
      return `Reservation ${event.resourceSid} accepted by ${worker}`;
    case "reservation.wrapup":
      return `Reservation ${event.resourceSid} wrapping up`;
    case "reservation.rejected":
    case "reservation.timeout":
    case "reservation.canceled":
    case "reservation.rescinded":
    case "reservation.completed":
      return `Reservation ${event.resourceSid} ${verb} (${worker})`;
  }
}
