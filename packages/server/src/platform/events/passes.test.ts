import { describe, expect, it } from "vitest";
import { Passes } from "./passes.ts";

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Passes", () => {
  it("serves requests made during a pass with exactly one more pass", async () => {
    let passes = 0;
    let release: () => void = () => {};
    const runner = new Passes(
      () => {
        passes++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      () => {},
    );
    runner.request();
    runner.request();
    runner.request();
    expect(passes).toBe(1);
    release();
    await tick();
    expect(passes).toBe(2);
    release();
    await tick();
    expect(passes).toBe(2);
    await runner.stop();
  });

  it("spaces passes by the minimum interval and gathers the requests in between into one", async () => {
    const starts: number[] = [];
    const runner = new Passes(
      () => {
        starts.push(performance.now());
        return Promise.resolve();
      },
      () => {},
      60,
    );
    runner.request();
    for (let i = 0; i < 5; i++) {
      await tick(5);
      runner.request();
    }
    await tick(120);
    expect(starts).toHaveLength(2);
    // Timers may fire up to a millisecond before the clock shows the delay has passed.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(59);
    await runner.stop();
  });

  it("stops without waiting out the interval, and runs no pass after stopping", async () => {
    let passes = 0;
    const runner = new Passes(
      () => {
        passes++;
        return Promise.resolve();
      },
      () => {},
      60_000,
    );
    runner.request();
    await tick();
    runner.request();
    const stopped = performance.now();
    await runner.stop();
    expect(performance.now() - stopped).toBeLessThan(1_000);
    expect(passes).toBe(1);
  });
});
