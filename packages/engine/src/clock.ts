/**
 * Time as the domain sees it. Injected everywhere a decision depends on "now" (timeouts, ages,
 * longest-idle ordering), so tests and simulations control it and replays are exact.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A clock that moves only when told to: for tests and simulations. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (ms < 0) throw new Error("a clock cannot go backwards");
    this.current += ms;
  }

  set(epochMs: number): void {
    if (epochMs < this.current) throw new Error("a clock cannot go backwards");
    this.current = epochMs;
  }
}
