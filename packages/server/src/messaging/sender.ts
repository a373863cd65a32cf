import type { Clock } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { MediaStore } from "../media/store.ts";
import { Passes } from "../platform/events/passes.ts";
import { backoffDelay } from "../platform/outbound.ts";
import { WakeTimers } from "../platform/wake-timers.ts";
import { providerFor, type Provider, type ProviderStore, type ProviderWithSecrets } from "./providers.ts";
import type { AttemptOutcome, ChannelMessage, MessageStore } from "./store.ts";
import { OUTSIDE_WINDOW, outsideWindow, serviceWindowMs } from "./service-window.ts";
import {
  NO_PROVIDER,
  SendFailure,
  UNKNOWN_ERROR,
  type OutboundAttachment,
  type Transport,
} from "./transport.ts";

/** How long links to a message's files stay valid: a customer may open an SMS link days later. */
const ATTACHMENT_LINK_MS = 7 * 86_400_000;

export type SenderOptions = Config["messaging"] & { pollIntervalMs: number };

/**
 * Sends queued messages through their providers. Each pass leases what is due (at most the free
 * concurrency), sends each through its provider type's transport and records the outcome: taken
 * (`sent`), refused for good (`failed` with the provider's code and reason), or a passing fault,
 * retried with exponential backoff until the attempts run out.
 *
 * Delivery is at least once: a process that dies after the provider took a message but before the
 * outcome is recorded sends it again when the lease runs out.
 */
export class OutboundSender {
  private readonly transports: Map<string, Transport>;
  private readonly passes = new Passes(
    () => this.sendDue(),
    (error) => this.logger.error({ err: error }, "outbound send pass failed"),
  );
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries: WakeTimers;
  private running = false;

  constructor(
    private readonly store: MessageStore,
    private readonly providers: ProviderStore,
    transports: Transport[],
    private readonly statusCallbackUrl: (provider: Provider) => string,
    private readonly media: MediaStore,
    /** An absolute link to a file, valid until the given instant. */
    private readonly mediaUrl: (mediaSid: string, expiresAtMs: number) => string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: SenderOptions,
  ) {
    this.transports = new Map(transports.map((t) => [t.providerType, t]));
    this.retries = new WakeTimers(clock, () => this.poke());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A message queued in this process wakes the sender at once; the poll finds the rest (scheduled
    // sends, other processes' messages). Other events in the log are none of its business.
    this.passes.follow(this.store.queued, "queued", this.options.pollIntervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.retries.clear();
    await this.passes.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  private poke(): void {
    if (this.running) this.passes.request();
  }

  private async sendDue(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;
    // The lease outlives the transport's timeout, so a live attempt never loses its lease.
    const leased = await this.store.claimDue(free, this.options.timeoutMs + 5_000);
    if (leased.length === 0) return;
    const providers = await this.providers.withPasswords([...new Set(leased.map((m) => m.account_sid))]);
    for (const message of leased) {
      const attempt = this.attempt(message, providers).finally(() => {
        this.inFlight.delete(attempt);
        this.poke();
      });
      this.inFlight.add(attempt);
    }
  }

  private async attempt(message: ChannelMessage, providers: ProviderWithSecrets[]): Promise<void> {
    const outcome = await this.send(message, providers);
    try {
      await this.store.finishAttempt(message, outcome);
      if (outcome.kind === "retry" && this.running) this.retries.at(outcome.at);
      if (outcome.kind === "failed")
        this.logger.warn(
          { message: message.sid, code: outcome.code, reason: outcome.reason },
          "outbound message failed",
        );
    } catch (error) {
      // The lease runs out and a later pass tries again.
      this.logger.error({ err: error, message: message.sid }, "outbound attempt could not be recorded");
    }
  }

  /** A conversation message's files, as links a provider or customer can fetch for a week. */
  private async attachmentsOf(message: ChannelMessage): Promise<OutboundAttachment[]> {
    if (message.message_sid === null) return [];
    const files = await this.media.ofMessage(message.account_sid, message.message_sid);
    const expires = this.clock.now() + ATTACHMENT_LINK_MS;
    return files.map((media) => ({
      media,
      url: this.mediaUrl(media.sid, expires),
      content: async () => {
        const stored = await this.media.withContent(media.sid, message.account_sid);
        if (!stored) throw new SendFailure(UNKNOWN_ERROR, `Media ${media.sid} was deleted`, true);
        return stored.content;
      },
    }));
  }

  private async send(message: ChannelMessage, providers: ProviderWithSecrets[]): Promise<AttemptOutcome> {
    // The provider named when the message was queued, else whichever serves its sender now.
    const chosen =
      providers.find((p) => p.provider.sid === message.provider_sid) ??
      providerFor(providers, message.account_sid, message.channel, message.from_address);
    if (!chosen)
      return {
        kind: "failed",
        code: NO_PROVIDER,
        reason: message.from_address
          ? `No messaging provider sends from ${message.from_address}`
          : "The participant has no proxy address to send from",
      };
    const transport = this.transports.get(chosen.provider.type);
    if (!transport)
      return {
        kind: "failed",
        code: UNKNOWN_ERROR,
        reason: `Provider type ${chosen.provider.type} cannot send`,
      };
    const window = { channel: message.channel, humanAgent: chosen.provider.settings.human_agent === true };
    try {
      const lastInbound =
        serviceWindowMs(window.channel, window.humanAgent) === undefined
          ? undefined
          : await this.store.lastInbound(message.account_sid, message.to_address, message.from_address);
      const closed = outsideWindow(
        window,
        message.from_address,
        message.to_address,
        lastInbound,
        this.clock.now(),
      );
      if (closed) return { kind: "failed", code: OUTSIDE_WINDOW, reason: closed };
      const { providerMessageId } = await transport.send({
        message: { ...message, provider_sid: chosen.provider.sid },
        provider: chosen.provider,
        password: chosen.password,
        statusCallbackUrl: this.statusCallbackUrl(chosen.provider),
        lastInbound,
        attachments: await this.attachmentsOf(message),
      });
      return { kind: "accepted", providerMessageId, providerSid: chosen.provider.sid };
    } catch (error) {
      const refusal = error instanceof SendFailure ? error : undefined;
      const code = refusal?.code ?? UNKNOWN_ERROR;
      const reason = error instanceof Error ? error.message : String(error);
      if (refusal?.permanent) return { kind: "failed", code, reason };
      if (message.attempts >= this.options.maxAttempts)
        return { kind: "failed", code, reason: `Gave up after ${message.attempts} attempts: ${reason}` };
      const delay = backoffDelay(message.attempts, this.options.backoffBaseMs, this.options.backoffMaxMs);
      return { kind: "retry", at: this.clock.now() + delay, code, reason };
    }
  }
}
