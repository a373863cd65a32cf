import type { Logger } from "pino";
import type { AccountStore } from "../identity/accounts.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import { twilioSignature } from "../webhooks/signature.ts";
import type { RoutingCommand } from "./commands.ts";
import type { RoutingService } from "./service.ts";

const CONSUMER = "routing.assignment-callbacks";
const BATCH = 500;
/** How often the cursor is saved while no callback is made (re-reading those events after a crash is harmless). */
const IDLE_CURSOR_SAVE_MS = 1_000;

/** The parameters TaskRouter posts to an Assignment Callback URL, taken from the reservation event. */
const CALLBACK_PARAMS = [
  "AccountSid",
  "WorkspaceSid",
  "WorkflowSid",
  "TaskQueueSid",
  "WorkerSid",
  "TaskSid",
  "ReservationSid",
  "TaskAge",
  "TaskAttributes",
  "TaskPriority",
  "TaskChannelSid",
  "TaskChannelUniqueName",
  "WorkerAttributes",
  "WorkerName",
];

export interface AssignmentCallbackOptions {
  /** How long a receiver has to answer before the fallback URL is tried (TaskRouter allows 5 s). */
  timeoutMs: number;
  pollIntervalMs: number;
}

/** What a receiver told us to do with the reservation. */
type Instruction =
  | { kind: "accept" }
  | { kind: "reject"; activitySid: string | undefined }
  | { kind: "later" }
  | { kind: "unsupported"; instruction: string };

/**
 * Assignment Callbacks: for each reservation a workflow with an AssignmentCallbackUrl makes, a signed
 * POST of the task and worker; the receiver answers within the deadline with a JSON instruction
 * (`accept`, or `reject` with an optional `activity_sid`), or an empty 200 to decide later through the
 * REST API. A failed or late answer is retried once at the fallback URL.
 *
 * It reads the event log by cursor, so reservations made while the server was down are offered after
 * a restart. Callbacks run side by side; the cursor only moves past events whose callback finished,
 * so a crash re-offers at most the reservations in flight, and an offer whose reservation is no longer
 * pending is skipped.
 */
export class AssignmentCallbacks {
  private readonly passes: Passes;
  /** Where reading has got to (ahead of the durable cursor while callbacks are in flight). */
  private readPosition: number | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private saved = { position: 0, at: 0 };

  constructor(
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly routing: RoutingService,
    private readonly accounts: AccountStore,
    private readonly logger: Logger,
    private readonly options: AssignmentCallbackOptions,
  ) {
    this.passes = new Passes(
      () => this.read(),
      (error) => this.logger.error({ err: error }, "assignment callback pass failed"),
    );
  }

  start(): void {
    this.passes.follow(this.events.appended, "appended", this.options.pollIntervalMs);
  }

  async stop(): Promise<void> {
    await this.passes.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async read(): Promise<void> {
    if (this.readPosition === undefined) {
      this.readPosition = await this.cursors.position(CONSUMER);
      this.saved = { position: this.readPosition, at: Date.now() };
    }
    for (;;) {
      const batch = await this.events.readAfter(this.readPosition, BATCH);
      for (const event of batch) {
        if (event.eventType !== "reservation.created" || !event.scopeSid) continue;
        const offer = this.offer(event).then(
          (called) => {
            this.inFlight.delete(event.seq);
            void this.commit(called);
          },
          (error: unknown) => {
            this.inFlight.delete(event.seq);
            this.logger.error({ err: error, reservation: event.resourceSid }, "assignment callback failed");
          },
        );
        this.inFlight.set(event.seq, offer);
      }
      const last = batch.at(-1);
      if (last) this.readPosition = last.seq;
      if (batch.length < BATCH) break;
    }
    await this.commit();
  }

  /**
   * Saves the cursor just below the oldest callback still in flight. When only events without a
   * callback went by, saving once a second is enough: they are skipped again after a crash.
   */
  private async commit(force = false): Promise<void> {
    if (this.readPosition === undefined) return;
    let position = this.readPosition;
    for (const seq of this.inFlight.keys()) position = Math.min(position, seq - 1);
    const now = Date.now();
    if (position <= this.saved.position || (!force && now - this.saved.at < IDLE_CURSOR_SAVE_MS)) return;
    this.saved = { position, at: now };
    try {
      await this.cursors.save(CONSUMER, position);
    } catch (error) {
      this.logger.error({ err: error }, "assignment callback cursor not saved");
    }
  }

  /** Offers the reservation to the workflow's callback, if it has one; says whether a callback was made. */
  private async offer(event: StoredEvent): Promise<boolean> {
    const entry = this.routing.get(event.accountSid, event.scopeSid!);
    const workflowSid = event.data.WorkflowSid;
    const workflow = workflowSid ? entry?.router.catalog.workflows.get(workflowSid)?.record : undefined;
    if (!entry || !workflow?.assignmentCallbackUrl) return false;
    // Already answered (e.g. offered before a crash, or accepted through the API): nothing to ask.
    if (entry.router.routing.reservation(event.resourceSid)?.status !== "pending") return false;
    const authToken = await this.accounts.authToken(event.accountSid);
    if (authToken === undefined) return false;
    const params: Record<string, string> = {};
    for (const name of CALLBACK_PARAMS) if (event.data[name] !== undefined) params[name] = event.data[name];
    const log = this.logger.child({ reservation: event.resourceSid, workspace: event.scopeSid });

    for (const url of [workflow.assignmentCallbackUrl, workflow.fallbackAssignmentCallbackUrl]) {
      if (!url) continue;
      const answer = await this.post(url, params, authToken);
      if ("error" in answer) {
        log.warn({ url: redact(url), error: answer.error }, "assignment callback failed");
        continue;
      }
      await this.follow(answer.instruction, event, log);
      return true;
    }
    return true;
  }

  private async post(
    url: string,
    params: Record<string, string>,
    authToken: string,
  ): Promise<{ instruction: Instruction } | { error: string }> {
    try {
      const response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "User-Agent": "Switchboard-TaskRouter/0.1",
          "X-Twilio-Signature": twilioSignature(authToken, url, params),
        },
        body: new URLSearchParams(params),
      });
      const text = await response.text();
      if (!response.ok) return { error: `receiver answered HTTP ${response.status}` };
      return { instruction: parseInstruction(text) };
    } catch (error) {
      if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError"))
        return { error: `no answer within ${this.options.timeoutMs} ms` };
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async follow(instruction: Instruction, event: StoredEvent, log: Logger): Promise<void> {
    const entry = this.routing.get(event.accountSid, event.scopeSid!);
    if (!entry) return;
    const sid = event.resourceSid;
    let command: RoutingCommand;
    switch (instruction.kind) {
      case "later":
        return;
      case "unsupported":
        log.warn(
          { instruction: instruction.instruction },
          "assignment instruction not supported; left pending",
        );
        return;
      case "accept":
        command = { op: "acceptReservation", sid };
        break;
      case "reject":
        command = {
          op: "rejectReservation",
          sid,
          ...(instruction.activitySid ? { activitySid: instruction.activitySid } : {}),
        };
        break;
    }
    try {
      await entry.router.run(command);
    } catch (error) {
      // Typically the reservation moved on (timed out, or answered through the API) meanwhile.
      log.info({ err: error, instruction: instruction.kind }, "assignment instruction not applied");
    }
  }
}

/** The receiver's JSON answer; an empty or non-JSON 200 leaves the decision for later, as in TaskRouter. */
function parseInstruction(text: string): Instruction {
  if (!text.trim()) return { kind: "later" };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "later" };
  }
  if (body === null || typeof body !== "object") return { kind: "later" };
  const { instruction, activity_sid } = body as { instruction?: unknown; activity_sid?: unknown };
  if (instruction === undefined) return { kind: "later" };
  if (instruction === "accept") return { kind: "accept" };
  if (instruction === "reject")
    return { kind: "reject", activitySid: typeof activity_sid === "string" ? activity_sid : undefined };
  return { kind: "unsupported", instruction: JSON.stringify(instruction) };
}

/** A URL for the logs: its query string may carry a secret, so it is left out. */
function redact(url: string): string {
  return url.split("?")[0] ?? url;
}
