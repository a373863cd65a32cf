import type { Clock } from "@switchboard/engine";

/**
 * Wake-ups at given instants (a retry falling due between polls). Timers may fire a millisecond
 * early by the clock; waking then would find nothing due yet and nothing would look again until the
 * next poll, so an early timer waits out the rest.
 */
export class WakeTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly clock: Clock,
    private readonly wake: () => void,
  ) {}

  at(epochMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.clock.now() < epochMs) return this.at(epochMs);
        this.wake();
      },
      Math.max(0, epochMs - this.clock.now()),
    );
    this.timers.add(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
