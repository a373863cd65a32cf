import { OrderedIndex } from "./ordered.ts";
import type { TaskStatus } from "./model.ts";

/** What a live task contributes to the real-time figures of its scopes. */
export interface TaskContribution {
  sid: string;
  seq: number;
  status: TaskStatus;
  priority: number;
  dateCreated: number;
  queueSid: string | undefined;
  workflowSid: string | undefined;
  channelSid: string;
}

type LiveStatus = "pending" | "reserved" | "assigned" | "wrapping";
const LIVE: ReadonlySet<TaskStatus> = new Set<TaskStatus>(["pending", "reserved", "assigned", "wrapping"]);
const WAITING: ReadonlySet<TaskStatus> = new Set<TaskStatus>(["pending", "reserved"]);

class ScopeCounters {
  readonly byStatus: Record<LiveStatus, number> = { pending: 0, reserved: 0, assigned: 0, wrapping: 0 };
  readonly byPriority = new Map<number, number>();
  /** Waiting (pending or reserved) tasks, oldest first. */
  readonly waiting = new OrderedIndex<TaskContribution>();
  /** Waiting tasks in this queue, by when they entered it (queue scopes only). */
  readonly inQueue = new OrderedIndex<{ sid: string; at: number }>();
  readonly inQueueKeys = new Map<string, readonly number[]>();
}

export type CumulativeKind =
  | "task.created"
  | "task.entered"
  | "task.canceled"
  | "task.completed"
  | "task.deleted"
  | "task.moved"
  | "task.timed-out-in-workflow"
  | "reservation.created"
  | "reservation.accepted"
  | "reservation.rejected"
  | "reservation.timed-out"
  | "reservation.canceled"
  | "reservation.rescinded";

/** One thing that happened, kept for cumulative statistics over a time window. */
export interface Fact {
  at: number;
  kind: CumulativeKind;
  queueSid: string | undefined;
  workflowSid: string | undefined;
  channelSid: string;
  /** Seconds from task creation to this fact (acceptance, cancellation). */
  waitSeconds?: number;
  /** Seconds from entering the queue to acceptance. */
  queueWaitSeconds?: number;
}

export type Scope =
  { kind: "workspace" } | { kind: "queue"; sid: string } | { kind: "workflow"; sid: string };

export interface DurationSummary {
  avg: number;
  min: number;
  max: number;
  total: number;
}

/**
 * Real-time figures are counters, kept exact by removing a task's contribution before every change
 * to its status, queue, workflow or priority and adding it back after. Cumulative figures are computed
 * from a log of facts, pruned past the retention window.
 */
export class RoutingStatistics {
  private readonly scopes = new Map<string, ScopeCounters>();
  private readonly facts: Fact[] = [];
  private pruneCursor = 0;

  constructor(private readonly retentionMs: number = 24 * 3600_000) {}

  private counters(key: string): ScopeCounters {
    let counters = this.scopes.get(key);
    if (!counters) {
      counters = new ScopeCounters();
      this.scopes.set(key, counters);
    }
    return counters;
  }

  private scopeKeys(task: TaskContribution): string[] {
    const keys = ["workspace"];
    if (task.queueSid) keys.push(`queue:${task.queueSid}`);
    if (task.workflowSid) keys.push(`workflow:${task.workflowSid}`);
    return keys;
  }

  add(task: TaskContribution, queueEnteredAt: number | undefined): void {
    this.apply(task, 1, queueEnteredAt);
  }

  remove(task: TaskContribution): void {
    this.apply(task, -1, undefined);
  }

  private apply(task: TaskContribution, sign: 1 | -1, queueEnteredAt: number | undefined): void {
    if (!LIVE.has(task.status)) return;
    for (const key of this.scopeKeys(task)) {
      const c = this.counters(key);
      c.byStatus[task.status as LiveStatus] += sign;
      if (!WAITING.has(task.status)) continue;
      c.byPriority.set(task.priority, (c.byPriority.get(task.priority) ?? 0) + sign);
      if (c.byPriority.get(task.priority) === 0) c.byPriority.delete(task.priority);
      const key2 = [task.dateCreated, task.seq];
      if (sign > 0) c.waiting.set(key2, task);
      else c.waiting.delete(key2);
      if (key.startsWith("queue:")) {
        if (sign > 0) {
          const at = queueEnteredAt ?? task.dateCreated;
          const entryKey = [at, task.seq];
          c.inQueue.set(entryKey, { sid: task.sid, at });
          c.inQueueKeys.set(task.sid, entryKey);
        } else {
          const entryKey = c.inQueueKeys.get(task.sid);
          if (entryKey) c.inQueue.delete(entryKey);
          c.inQueueKeys.delete(task.sid);
        }
      }
    }
  }

  record(fact: Fact): void {
    this.facts.push(fact);
    // Prune in amortised O(1): drop the expired prefix once it is a quarter of the log.
    const horizon = fact.at - this.retentionMs;
    while (this.pruneCursor < this.facts.length && this.facts[this.pruneCursor]!.at < horizon)
      this.pruneCursor++;
    if (this.pruneCursor > 1024 && this.pruneCursor * 4 > this.facts.length) {
      this.facts.splice(0, this.pruneCursor);
      this.pruneCursor = 0;
    }
  }

  /** Twilio's real-time task figures for a scope (queue and worker figures are added by the engine). */
  realtime(scope: Scope, now: number) {
    const c = this.scopes.get(scopeKey(scope)) ?? new ScopeCounters();
    const oldest = c.waiting.first();
    const firstIn = c.inQueue.first();
    const longestInQueue = firstIn && { sid: firstIn.sid, age: Math.floor((now - firstIn.at) / 1000) };
    return {
      tasks_by_status: { ...c.byStatus },
      tasks_by_priority: Object.fromEntries(
        [...c.byPriority].sort(([a], [b]) => a - b).map(([p, n]) => [String(p), n]),
      ),
      total_tasks: c.byStatus.pending + c.byStatus.reserved + c.byStatus.assigned + c.byStatus.wrapping,
      longest_task_waiting_sid: oldest?.sid ?? null,
      longest_task_waiting_age: oldest ? Math.floor((now - oldest.dateCreated) / 1000) : 0,
      longest_relative_task_sid_in_queue: longestInQueue?.sid ?? null,
      longest_relative_task_age_in_queue: longestInQueue?.age ?? 0,
    };
  }

  /**
   * Twilio's cumulative figures for a scope over [from, to], optionally for one channel, with the
   * wait-time split at each threshold (seconds).
   */
  cumulative(scope: Scope, from: number, to: number, channelSid?: string, splitByWaitTime: number[] = []) {
    const counts = new Map<CumulativeKind, number>();
    const untilAccepted: number[] = [];
    const untilCanceled: number[] = [];
    const inQueueUntilAccepted: number[] = [];
    for (let i = this.pruneCursor; i < this.facts.length; i++) {
      const f = this.facts[i]!;
      if (f.at < from || f.at > to) continue;
      if (channelSid && f.channelSid !== channelSid) continue;
      if (scope.kind === "queue" && f.queueSid !== scope.sid) continue;
      if (scope.kind === "workflow" && f.workflowSid !== scope.sid) continue;
      counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
      if (f.kind === "reservation.accepted" && f.waitSeconds !== undefined) {
        untilAccepted.push(f.waitSeconds);
        if (f.queueWaitSeconds !== undefined) inQueueUntilAccepted.push(f.queueWaitSeconds);
      }
      if (f.kind === "task.canceled" && f.waitSeconds !== undefined) untilCanceled.push(f.waitSeconds);
    }
    const n = (kind: CumulativeKind) => counts.get(kind) ?? 0;
    const accepted = summary(untilAccepted);
    const split: Record<string, unknown> = {};
    for (const threshold of splitByWaitTime) {
      split[String(threshold)] = {
        below: {
          tasks_canceled: untilCanceled.filter((w) => w < threshold).length,
          reservations_accepted: untilAccepted.filter((w) => w < threshold).length,
        },
        above: {
          tasks_canceled: untilCanceled.filter((w) => w >= threshold).length,
          reservations_accepted: untilAccepted.filter((w) => w >= threshold).length,
        },
      };
    }
    return {
      start_time: from,
      end_time: to,
      reservations_created: n("reservation.created"),
      reservations_accepted: n("reservation.accepted"),
      reservations_rejected: n("reservation.rejected"),
      reservations_timed_out: n("reservation.timed-out"),
      reservations_canceled: n("reservation.canceled"),
      reservations_rescinded: n("reservation.rescinded"),
      tasks_created: n("task.created"),
      tasks_entered: n("task.entered"),
      tasks_canceled: n("task.canceled"),
      tasks_completed: n("task.completed"),
      tasks_deleted: n("task.deleted"),
      tasks_moved: n("task.moved"),
      tasks_timed_out_in_workflow: n("task.timed-out-in-workflow"),
      avg_task_acceptance_time: accepted.avg,
      wait_duration_until_accepted: accepted,
      wait_duration_until_canceled: summary(untilCanceled),
      wait_duration_in_queue_until_accepted: summary(inQueueUntilAccepted),
      split_by_wait_time: splitByWaitTime.length ? split : null,
    };
  }
}

function scopeKey(scope: Scope): string {
  return scope.kind === "workspace" ? "workspace" : `${scope.kind}:${scope.sid}`;
}

function summary(values: number[]): DurationSummary {
  if (values.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    total += v;
  }
  return { avg: Math.round(total / values.length), min, max, total };
}
