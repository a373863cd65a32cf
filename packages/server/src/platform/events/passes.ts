import type { EventEmitter } from "node:events";

/**
 * Runs an event-log consumer's pass on demand, never two at once: a request during a pass makes one
 * more pass right after it (so nothing appended meanwhile waits for the next poll). A failed pass is
 * reported and the next request tries again; the log is intact either way.
 */
export class Passes {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unfollow: (() => void) | undefined;
  private lastStart = -Infinity;
  /** Ends the wait before a pass early, on stop. */
  private wake: (() => void) | undefined;

  /**
   * @param minIntervalMs least time from the start of one pass to the start of the next: requests in
   * between are served together by one later pass (for consumers that do better with bigger batches
   * and can wait, such as projections).
   */
  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 0,
  ) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    do {
      const wait = this.lastStart + this.minIntervalMs - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        if (this.stopped) return;
      }
      this.again = false;
      this.lastStart = performance.now();
      try {
        await this.pass();
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.stopped);
  }

  /**
   * Requests a pass now, whenever `source` emits `event` in this process (new events in the log, a
   * message queued), and every `pollIntervalMs` (for what other processes wrote), until stopped.
   */
  follow(source: EventEmitter, event: string, pollIntervalMs: number): void {
    const wake = () => this.request();
    source.on(event, wake);
    const timer = setInterval(wake, pollIntervalMs);
    this.unfollow = () => {
      source.off(event, wake);
      clearInterval(timer);
    };
    this.request();
  }

  /** Takes no more requests and waits for the pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unfollow?.();
    this.wake?.();
    await this.running;
  }
}
