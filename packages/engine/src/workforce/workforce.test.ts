import { describe, expect, it } from "vitest";
import {
  agentsNeeded,
  averageSpeedOfAnswer,
  erlangB,
  occupancy,
  probabilityOfWaiting,
  serviceLevel,
} from "./erlang.ts";
import { estimateWaitTime } from "./wait-time.ts";

describe("Erlang C", () => {
  // Reference case used across workforce texts: 360 calls per 30 min (0.2/s), AHT 240 s → A = 48 erlangs.
  const traffic = { arrivalRate: 0.2, averageHandleTime: 240 };

  /** Erlang C straight from its definition, summing A^k/k! in log space: an independent check. */
  function directErlangC(n: number, a: number): number {
    let logTerm = 0; // log(A^0/0!)
    let sum = 1;
    for (let k = 1; k < n; k++) {
      logTerm += Math.log(a) - Math.log(k);
      sum += Math.exp(logTerm);
    }
    const top = Math.exp(logTerm + Math.log(a) - Math.log(n)) * (n / (n - a)); // A^N/N! · N/(N−A)
    return top / (sum + top);
  }

  it("agrees with the definition and finds the staffing for a service-level target", () => {
    for (const n of [49, 52, 55, 60, 70])
      expect(probabilityOfWaiting(n, traffic)).toBeCloseTo(directErlangC(n, 48), 10);
    const needed = agentsNeeded(traffic, { serviceLevel: 0.8, withinSeconds: 20 });
    expect(serviceLevel(needed, traffic, 20)).toBeGreaterThanOrEqual(0.8);
    expect(serviceLevel(needed - 1, traffic, 20)).toBeLessThan(0.8);
    expect(needed).toBeGreaterThan(48);
    const c = probabilityOfWaiting(needed, traffic);
    expect(averageSpeedOfAnswer(needed, traffic)).toBeCloseTo((c * 240) / (needed - 48), 10);
    expect(serviceLevel(needed, traffic, 0)).toBeCloseTo(1 - c, 12);
    expect(occupancy(55, traffic)).toBeCloseTo(48 / 55, 10);
  });

  it("agrees with the closed form for small queues", () => {
    // M/M/1: P(wait) = ρ; M/M/2 with A = 1: C = 1/3.
    expect(probabilityOfWaiting(1, { arrivalRate: 0.5, averageHandleTime: 1 })).toBeCloseTo(0.5, 12);
    expect(probabilityOfWaiting(2, { arrivalRate: 1, averageHandleTime: 1 })).toBeCloseTo(1 / 3, 12);
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 12);
  });

  it("is stable for large contact centers and unstable loads", () => {
    const big = { arrivalRate: 2, averageHandleTime: 300 }; // 600 erlangs
    const c = probabilityOfWaiting(650, big);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(1);
    expect(probabilityOfWaiting(600, big)).toBe(1);
    expect(averageSpeedOfAnswer(500, big)).toBe(Infinity);
    expect(agentsNeeded(traffic, { serviceLevel: 0.8, withinSeconds: 20, maxOccupancy: 0.85 })).toBe(
      Math.ceil(48 / 0.85),
    );
    expect(c).toBeCloseTo(directErlangC(650, 600), 8);
  });
});

describe("estimated wait time", () => {
  it("is zero while an agent is free, grows with the queue, and is unknown with nobody staffed", () => {
    expect(estimateWaitTime({ ahead: 0, staffedAgents: 3, idleAgents: 1, averageHandleTime: 300 })).toEqual({
      seconds: 0,
      basis: "idle-agent",
    });
    expect(estimateWaitTime({ ahead: 5, staffedAgents: 3, idleAgents: 0, averageHandleTime: 300 })).toEqual({
      seconds: 600,
      basis: "staffing",
    });
    expect(
      estimateWaitTime({
        ahead: 5,
        staffedAgents: 3,
        idleAgents: 0,
        averageHandleTime: 300,
        recentInterCompletionTime: 90,
      }),
    ).toEqual({
      seconds: 540,
      basis: "observed-throughput",
    });
    expect(estimateWaitTime({ ahead: 2, staffedAgents: 0, idleAgents: 0, averageHandleTime: 300 })).toEqual({
      seconds: undefined,
      basis: "unstaffed",
    });
  });
});
