import type { Attributes } from "../expressions/index.ts";

/**
 * The routing domain's records, as plain data. Configuration (activities, channels, queues,
 * workflows, settings) is given to the engine; runtime state (workers, tasks, reservations) is
 * owned by it. Times are milliseconds since the epoch from the injected clock.
 */

export interface Activity {
  sid: string;
  friendlyName: string;
  /** Workers in an available activity can be offered tasks. */
  available: boolean;
}

export interface TaskChannel {
  sid: string;
  /** e.g. `default`, `voice`, `chat`, `sms`, `email`. */
  uniqueName: string;
  friendlyName: string;
}

export type TaskOrder = "FIFO" | "LIFO";

export interface TaskQueueConfig {
  sid: string;
  friendlyName: string;
  /** Which workers belong to the queue (worker-scope expression); `1==1` by default. */
  targetWorkers: string;
  /** Parallel reservations per task, 1–50: the first accept wins, the others are rescinded. */
  maxReservedWorkers: number;
  taskOrder: TaskOrder;
}

export interface WorkflowConfig {
  sid: string;
  friendlyName: string;
  /** The `{"task_routing": {...}}` document, as a JSON string or already parsed. */
  configuration: string | object;
  /** Seconds a reservation waits for an answer (default 120). */
  taskReservationTimeout: number;
}

/**
 * A cross-channel rule: a worker is not offered `channel` while holding at least `atLeast`
 * tasks on `whileOn`. "No chat while on a voice call" is {channel: chat, whileOn: voice, atLeast: 1};
 * "no voice call while on 2+ chats" is {channel: voice, whileOn: chat, atLeast: 2}.
 */
export interface ChannelRule {
  channel: string;
  whileOn: string;
  atLeast: number;
}

export interface WorkspaceSettings {
  /** Activity a reservation timeout moves the worker to (none: the worker keeps its activity). */
  timeoutActivitySid?: string | undefined;
  channelRules: ChannelRule[];
  /** How a worker in several queues chooses between equal-priority tasks: oldest (FIFO) or newest (LIFO). */
  prioritizeQueueOrder: TaskOrder;
}

export type TaskStatus = "pending" | "reserved" | "assigned" | "wrapping" | "completed" | "canceled";
export type ReservationStatus =
  "pending" | "accepted" | "rejected" | "timeout" | "canceled" | "rescinded" | "wrapping" | "completed";

/** Reservations in these states hold a unit of the worker's channel capacity. */
export const ACTIVE_RESERVATION: ReadonlySet<ReservationStatus> = new Set([
  "pending",
  "accepted",
  "wrapping",
]);

export interface WorkerChannelState {
  channelSid: string;
  capacity: number;
  /** The worker's own switch for this channel. */
  available: boolean;
  /** Reservations holding capacity: pending, accepted or wrapping. */
  active: number;
}

/** A worker's identity and activity, as events record it. */
export interface WorkerSnapshot {
  sid: string;
  friendlyName: string;
  attributes: Attributes;
  activitySid: string;
  activityName: string;
  available: boolean;
}

export interface WorkerView extends WorkerSnapshot {
  dateCreated: number;
  /** When the worker's name, attributes, activity or channels last changed. */
  dateUpdated: number;
  /** When the activity last changed. */
  dateStatusChanged: number;
  channels: WorkerChannelState[];
}

/** Where a task is in its workflow. */
export interface RoutingPosition {
  /** Index of the matched filter, or "default" for default_filter, or "direct" for a routing target. */
  filter: number | "default" | "direct";
  filterName: string;
  step: number;
  stepEnteredAt: number;
}

export interface TaskView {
  sid: string;
  attributes: Attributes;
  priority: number;
  status: TaskStatus;
  channelSid: string;
  channelUniqueName: string;
  workflowSid: string | undefined;
  queueSid: string | undefined;
  queueEnteredAt: number | undefined;
  dateCreated: number;
  /** When the task's status, queue, priority or attributes last changed. */
  dateUpdated: number;
  /** Ordering time: date_created unless the caller set a virtual start time. */
  virtualStartTime: number;
  /** Seconds a task may wait for assignment before it is canceled. */
  timeout: number;
  reason: string | undefined;
  routing: RoutingPosition | undefined;
  /** The task this one was created to transfer, if any. */
  transferredFrom: string | undefined;
}

export interface ReservationView {
  sid: string;
  taskSid: string;
  workerSid: string;
  workerName: string;
  channelSid: string;
  queueSid: string | undefined;
  workflowSid: string | undefined;
  status: ReservationStatus;
  dateCreated: number;
  dateUpdated: number;
  /** When a pending reservation times out. */
  timeoutAt: number;
}

/** Why a command was refused. The server maps these to HTTP; the engine's state is unchanged. */
export type RoutingErrorCode = "not_found" | "invalid" | "conflict";

export class RoutingError extends Error {
  constructor(
    readonly code: RoutingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RoutingError";
  }
}
