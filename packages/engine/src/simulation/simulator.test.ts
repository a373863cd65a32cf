import { describe, expect, it } from "vitest";
import { averageSpeedOfAnswer, probabilityOfWaiting, serviceLevel } from "../workforce/erlang.ts";
import { simulate, type SimulationConfig } from "./simulator.ts";

describe("simulator", () => {
  it("agrees with Erlang C on M/M/c traffic, within statistical error", () => {
    // λ = 0.1/s, AHT 60 s → A = 6 erlangs on 8 agents; 40,000 simulated hours' worth of seconds.
    const traffic = { arrivalRate: 0.1, averageHandleTime: 60 };
    const agents = 8;
    const result = simulate({
      seed: 7,
      durationSeconds: 400_000,
      queues: [{ name: "Support", targetWorkers: "1==1" }],
      workflow: { default_filter: { queue: "Support" } },
      streams: [
        {
          name: "calls",
          arrivalRate: traffic.arrivalRate,
          attributes: {},
          handleTime: { kind: "exponential", mean: 60 },
        },
      ],
      agents: [{ name: "agent", count: agents }],
    });
    expect(result.offered).toBeGreaterThan(38_000);
    expect(result.answered).toBe(result.offered);
    // Standard errors here are about 0.005 for the probabilities and 3 % for ASA (autocorrelated samples):
    // the tolerances are roughly three of them.
    expect(Math.abs(result.probabilityOfWaiting - probabilityOfWaiting(agents, traffic))).toBeLessThan(0.03);
    expect(Math.abs(result.serviceLevel - serviceLevel(agents, traffic, 20))).toBeLessThan(0.03);
    const asa = averageSpeedOfAnswer(agents, traffic);
    expect(Math.abs(result.averageSpeedOfAnswer - asa) / asa).toBeLessThan(0.12);
    expect(Math.abs(result.occupancy - 6 / 8)).toBeLessThan(0.02);
  });

  it("is deterministic for a seed and reacts to a workflow change", () => {
    const base: SimulationConfig = {
      seed: 42,
      durationSeconds: 20_000,
      queues: [
        { name: "Billing", targetWorkers: "skills HAS 'billing'" },
        { name: "Everyone", targetWorkers: "1==1" },
      ],
      workflow: {
        filters: [{ expression: "type == 'billing'", targets: [{ queue: "Billing" }] }],
        default_filter: { queue: "Everyone" },
      },
      streams: [
        {
          name: "billing",
          arrivalRate: 0.04,
          attributes: { type: "billing" },
          handleTime: { kind: "lognormal", mean: 120, sd: 60 },
          patience: { kind: "exponential", mean: 90 },
        },
      ],
      agents: [
        { name: "biller", count: 3, attributes: { skills: ["billing"] } },
        { name: "generalist", count: 4, attributes: { skills: [] } },
      ],
    };
    const once = simulate(base);
    expect(simulate(base)).toEqual(once);
    // Billing first, then everyone after 30 s: the change a manager would try before publishing it.
    const escalating = simulate({
      ...base,
      workflow: {
        filters: [
          {
            expression: "type == 'billing'",
            targets: [{ queue: "Billing", timeout: 30 }, { queue: "Everyone" }],
          },
        ],
      },
    });
    expect(escalating.abandonmentRate).toBeLessThan(once.abandonmentRate);
    expect(escalating.serviceLevel).toBeGreaterThan(once.serviceLevel);
  });

  it("follows agent shifts and counts abandonment", () => {
    const result = simulate({
      seed: 3,
      durationSeconds: 3_600,
      queues: [{ name: "Q", targetWorkers: "1==1" }],
      workflow: { default_filter: { queue: "Q" } },
      streams: [
        {
          name: "calls",
          arrivalRate: 0.05,
          attributes: {},
          handleTime: { kind: "fixed", value: 60 },
          patience: { kind: "fixed", value: 30 },
        },
      ],
      agents: [{ name: "late", shifts: [{ start: 1_800, end: 3_600 }] }],
    });
    expect(result.abandoned).toBeGreaterThan(0);
    expect(result.answered).toBeGreaterThan(0);
    expect(result.answered + result.abandoned).toBe(result.offered);
    expect(result.occupancy).toBeGreaterThan(0.5);
  });
});
