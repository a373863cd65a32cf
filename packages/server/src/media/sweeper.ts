import type { Logger } from "pino";
import { Passes } from "../platform/events/passes.ts";
import type { MediaStore } from "./store.ts";

/** Uploads no message took within a day are deleted (an abandoned attachment, a redelivered email's copy). */
export const UNATTACHED_MEDIA_KEPT_MS = 86_400_000;
const SWEEP_EVERY_MS = 600_000;

/** Deletes unattached uploads once they are a day old: at start, then every ten minutes. */
export class MediaSweeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly passes: Passes;

  constructor(store: MediaStore, log: Logger) {
    this.passes = new Passes(
      async () => {
        const swept = await store.sweep(UNATTACHED_MEDIA_KEPT_MS);
        if (swept > 0) log.info({ swept }, "unattached media deleted");
      },
      (error) => log.error({ err: error }, "media sweep failed"),
    );
  }

  start(): void {
    this.timer = setInterval(() => this.passes.request(), SWEEP_EVERY_MS);
    this.passes.request();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.passes.stop();
  }
}
