import type { Logger } from "pino";
import { Passes } from "../platform/events/passes.ts";
import type { ConversationStore } from "./store.ts";

/**
 * Fires conversation timers (active → inactive → closed after a quiet spell). The due dates live in
 * the conversation rows, so a restart loses no timer: the first pass after it fires whatever fell
 * due meanwhile. Every node may run this; each change happens in one transaction whose conditions
 * re-check the state, so two nodes firing the same timer record it once.
 */
export class ConversationTimers {
  private timer: NodeJS.Timeout | undefined;
  private readonly passes: Passes;

  constructor(
    store: ConversationStore,
    private readonly intervalMs: number,
    log: Logger,
  ) {
    this.passes = new Passes(
      async () => {
        // A full batch means more may be due: go again at once.
        while ((await store.fireTimers()) === store.timerBatch);
      },
      (error) => log.error({ err: error }, "conversation timer pass failed"),
    );
  }

  start(): void {
    this.timer = setInterval(() => this.passes.request(), this.intervalMs);
    this.passes.request();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.passes.stop();
  }
}
