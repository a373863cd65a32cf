import { ManualClock } from "../clock.ts";
import type { Attributes } from "../expressions/index.ts";
import { sequentialSids } from "../ids.ts";
import { RoutingEngine, type NewTask } from "./engine.ts";
import type { RoutingEvent } from "./events.ts";
import type { WorkspaceSettings } from "./model.ts";

/**
 * A workspace set up the way most contact centers start: activities Offline, Available, Break and
 * Wrap-up; channels default, voice, chat, sms and email. Used by tests, the simulator and the
 * benchmarks to build engines in a few lines, with a manual clock and predictable SIDs.
 */
export class Scenario {
  readonly clock = new ManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
  readonly engine: RoutingEngine;
  /** Every event since the scenario began, in order. */
  readonly log: RoutingEvent[] = [];
  readonly activity = {
    offline: "WA00000000000000000000000000000001",
    available: "WA00000000000000000000000000000002",
    break: "WA00000000000000000000000000000003",
    wrapup: "WA00000000000000000000000000000004",
  };
  private queueCount = 0;
  private workflowCount = 0;

  constructor(settings: Partial<WorkspaceSettings> = {}) {
    this.engine = new RoutingEngine({ clock: this.clock, ids: sequentialSids(1000), settings: {} });
    this.record(
      this.engine.putActivity({ sid: this.activity.offline, friendlyName: "Offline", available: false }),
    );
    this.record(
      this.engine.putActivity({ sid: this.activity.available, friendlyName: "Available", available: true }),
    );
    this.record(
      this.engine.putActivity({ sid: this.activity.break, friendlyName: "Break", available: false }),
    );
    this.record(
      this.engine.putActivity({ sid: this.activity.wrapup, friendlyName: "Wrap-up", available: false }),
    );
    ["default", "voice", "chat", "sms", "email"].forEach((name, i) =>
      this.record(
        this.engine.putChannel({
          sid: `TC${String(i + 1).padStart(32, "0")}`,
          uniqueName: name,
          friendlyName: name,
        }),
      ),
    );
    this.record(this.engine.updateSettings({ timeoutActivitySid: this.activity.offline, ...settings }));
  }

  /** Keeps the events of an outcome in `log` and returns its result. */
  record<T>(outcome: { result: T; events: RoutingEvent[] }): T {
    this.log.push(...outcome.events);
    return outcome.result;
  }

  queue(
    friendlyName: string,
    targetWorkers = "1==1",
    options: { maxReservedWorkers?: number; taskOrder?: "FIFO" | "LIFO" } = {},
  ): string {
    const sid = `WQ${String(++this.queueCount).padStart(32, "0")}`;
    this.record(
      this.engine.putQueue({
        sid,
        friendlyName,
        targetWorkers,
        maxReservedWorkers: options.maxReservedWorkers ?? 1,
        taskOrder: options.taskOrder ?? "FIFO",
      }),
    );
    return sid;
  }

  workflow(
    taskRouting: object,
    options: { taskReservationTimeout?: number; friendlyName?: string } = {},
  ): string {
    const sid = `WW${String(++this.workflowCount).padStart(32, "0")}`;
    this.record(
      this.engine.putWorkflow({
        sid,
        friendlyName: options.friendlyName ?? `Workflow ${this.workflowCount}`,
        configuration: { task_routing: taskRouting },
        taskReservationTimeout: options.taskReservationTimeout ?? 120,
      }),
    );
    return sid;
  }

  /** A workflow that sends every task to one queue. */
  simpleWorkflow(queueSid: string): string {
    return this.workflow({ filters: [], default_filter: { queue: queueSid } });
  }

  worker(
    friendlyName: string,
    attributes: Attributes = {},
    options: { available?: boolean; capacity?: Record<string, number> } = {},
  ): string {
    const sid = this.record(
      this.engine.createWorker({
        friendlyName,
        attributes,
        activitySid: options.available === false ? this.activity.offline : this.activity.available,
      }),
    );
    for (const [channel, capacity] of Object.entries(options.capacity ?? {}))
      this.record(this.engine.setWorkerChannel(sid, channel, { capacity }));
    return sid;
  }

  task(
    workflowSid: string,
    attributes: Attributes = {},
    options: Omit<NewTask, "workflowSid" | "attributes"> = {},
  ): string {
    return this.record(this.engine.createTask({ workflowSid, attributes, ...options }));
  }

  /** Moves the clock forward and fires every timer that fell due. */
  advance(seconds: number): RoutingEvent[] {
    this.clock.advance(seconds * 1000);
    const outcome = this.engine.fireDueTimers();
    this.log.push(...outcome.events);
    return outcome.events;
  }

  /** The pending reservation of a task, if exactly one. */
  pendingReservation(taskSid: string): string | undefined {
    const pending = this.engine.reservationsOfTask(taskSid).filter((r) => r.status === "pending");
    return pending.length === 1 ? pending[0]!.sid : undefined;
  }

  workerOf(reservationSid: string): string {
    return this.engine.reservation(reservationSid)!.workerSid;
  }

  types(events: RoutingEvent[] = this.log): string[] {
    return events.map((e) => e.type);
  }
}
