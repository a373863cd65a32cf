import { randomUUID } from "node:crypto";
import type { Clock } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { AccountStore } from "../identity/accounts.ts";
import type { ConsumerCursors } from "../platform/events/cursors.ts";
import type { EventLog, StoredEvent } from "../platform/events/event-log.ts";
import { Passes } from "../platform/events/passes.ts";
import { backoffDelay, describeFetchError } from "../platform/outbound.ts";
import { WakeTimers } from "../platform/wake-timers.ts";
import type { Metrics } from "../platform/http/metrics.ts";
import { twilioSignature } from "./signature.ts";
import type { AttemptResult, Claim, WebhookStore } from "./store.ts";

export type DispatcherOptions = Config["webhooks"] & { pollIntervalMs: number };

const FANOUT_CONSUMER = "webhooks.fanout";
const FANOUT_BATCH = 500;
/** How often the fan-out cursor is saved while the events passing by make no deliveries. */
const IDLE_CURSOR_SAVE_MS = 1_000;

/**
 * The webhook consumer of the event log. Two steps, each restartable at any instant:
 * 1. fan-out: events after the cursor become deliveries (one per matching subscription), and the
 *    cursor moves, in one transaction;
 * 2. delivery: due deliveries are leased, POSTed form-encoded and signed like Twilio's callbacks,
 *    and their outcome recorded; failures retry with exponential backoff until the dead-letter state.
 * Receivers may see an event more than once (a crash after their 2xx, before our commit); the
 * `I-Twilio-Idempotency-Token` header and the `Sid` parameter (the event SID) let them drop repeats.
 */
export class WebhookDispatcher {
  /** Identifies this process's leases. */
  private readonly owner = `dispatcher-${randomUUID()}`;
  private running = false;
  private readonly passes = new Passes(
    async () => {
      await this.fanOut();
      await this.deliverDue();
    },
    // The log and the deliveries are intact; the next poll tries again.
    (error) => this.log.error({ err: error }, "webhook dispatch pass failed"),
  );
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Wake-ups for retries that fall due between polls. */
  private readonly retries: WakeTimers;
  private readonly wake = () => this.poke();
  /** Fan-out position: the saved cursor at start, then ahead of it by batches that made no deliveries. */
  private position: number | undefined;
  private saved = 0;
  private savedAt = 0;
  /** Whether a delivery may be due: looking costs a transaction, so only look when something changed. */
  private mayBeDue = true;
  constructor(
    private readonly store: WebhookStore,
    private readonly events: EventLog,
    private readonly cursors: ConsumerCursors,
    private readonly accounts: AccountStore,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
  ) {
    this.retries = new WakeTimers(clock, () => {
      this.mayBeDue = true;
      this.poke();
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.events.appended.on("appended", this.wake);
    this.timer = setInterval(() => {
      this.mayBeDue = true; // another node may have queued or released deliveries
      this.poke();
    }, this.options.pollIntervalMs);
    this.poke();
  }

  /** Stops taking new work and waits for attempts in flight (each bounded by the request timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.events.appended.off("appended", this.wake);
    clearInterval(this.timer);
    this.retries.clear();
    await this.passes.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  private retryAt(epochMs: number): void {
    if (this.running) this.retries.at(epochMs);
  }

  /** Runs a pass now, or right after the one under way; never two at once. */
  private poke(): void {
    if (this.running) this.passes.request();
  }

  private async fanOut(): Promise<void> {
    this.position ??= this.saved = await this.cursors.position(FANOUT_CONSUMER);
    for (;;) {
      const batch: StoredEvent[] = await this.events.readAfter(this.position, FANOUT_BATCH);
      const last = batch.at(-1);
      if (!last) break;
      const made = await this.store.fanOut(batch, (db) =>
        this.cursors.advance(db, FANOUT_CONSUMER, last.seq),
      );
      this.position = last.seq;
      if (made > 0) {
        this.mayBeDue = true;
        this.saved = last.seq;
        this.savedAt = this.clock.now();
      }
      if (batch.length < FANOUT_BATCH) break;
    }
    // Events no one subscribes to move the cursor only in memory; saving it now and then is enough,
    // since fanning a batch out again after a crash adds nothing.
    if (this.position > this.saved && this.clock.now() - this.savedAt >= IDLE_CURSOR_SAVE_MS) {
      await this.cursors.save(FANOUT_CONSUMER, this.position);
      this.saved = this.position;
      this.savedAt = this.clock.now();
    }
  }

  private async deliverDue(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0 || !this.mayBeDue) return;
    this.mayBeDue = false;
    // The lease outlives the request timeout, so a live attempt never loses its lease.
    const claims = await this.store.claimDue(this.owner, free, this.options.timeoutMs + 5_000);
    if (claims.length === free) this.mayBeDue = true; // there may be more than there was room for
    for (const claim of claims) {
      const attempt = this.attempt(claim).finally(() => {
        this.inFlight.delete(attempt);
        this.mayBeDue = true; // a slot is free, and more may have been waiting for one
        this.poke();
      });
      this.inFlight.add(attempt);
    }
  }

  private async attempt(claim: Claim): Promise<void> {
    const { delivery } = claim;
    try {
      const [event, authToken] = await Promise.all([
        this.events.get(delivery.accountSid, delivery.eventSid),
        this.accounts.authToken(delivery.accountSid),
      ]);
      if (!event || authToken === undefined) throw new Error("event or account no longer exists");
      const result = await this.post(delivery.url, event, authToken, delivery.attempts);
      const status = await this.store.finishAttempt(this.owner, claim, result);
      this.metrics.webhookAttempts.inc({ outcome: result.ok ? "succeeded" : "failed" });
      if (status === "retrying" && !result.ok && result.retryAt !== undefined) this.retryAt(result.retryAt);
      if (status === "dead") {
        this.metrics.webhookDeadLettered.inc();
        this.log.warn(
          { delivery: delivery.sid, webhook: delivery.webhookSid, attempts: delivery.attempts },
          "webhook delivery dead-lettered",
        );
      }
    } catch (error) {
      // Could not even record the outcome (database gone?): the lease will expire and a later pass retries.
      this.log.error({ err: error, delivery: delivery.sid }, "webhook attempt could not be recorded");
    }
  }

  private async post(
    url: string,
    event: StoredEvent,
    authToken: string,
    attempt: number,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const body = new URLSearchParams(event.data);
    try {
      const response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "User-Agent": "Switchboard-Webhooks/0.1",
          "X-Twilio-Signature": twilioSignature(authToken, url, event.data),
          "I-Twilio-Idempotency-Token": event.sid,
        },
        body,
      });
      await response.body?.cancel();
      const durationMs = performance.now() - started;
      if (response.ok) return { ok: true, statusCode: response.status, durationMs };
      return this.failed(attempt, response.status, `receiver answered HTTP ${response.status}`, durationMs);
    } catch (error) {
      return this.failed(
        attempt,
        null,
        describeFetchError(error, this.options.timeoutMs),
        performance.now() - started,
      );
    }
  }

  private failed(
    attempt: number,
    statusCode: number | null,
    error: string,
    durationMs: number,
  ): AttemptResult {
    const retryAt =
      attempt >= this.options.maxAttempts ? undefined : this.clock.now() + this.backoff(attempt);
    return { ok: false, statusCode, error, durationMs, retryAt };
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
  }
}
