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

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (error) {
          this.onError(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
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
    await this.running;
  }
}
