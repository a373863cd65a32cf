import { ManualClock } from "@switchboard/engine";
import { describe, expect, it } from "vitest";
import { randomSids, timeOrderedSids } from "./ids.ts";

describe("SID generators", () => {
  it("random SIDs are a prefix and 32 hex digits, never repeated", () => {
    const sids = Array.from({ length: 5000 }, () => randomSids.next("WT"));
    for (const sid of sids) expect(sid).toMatch(/^WT[0-9a-f]{32}$/);
    expect(new Set(sids).size).toBe(sids.length);
  });

  it("time-ordered SIDs sort by the time they were made, with random low bits", () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 9, 0, 0));
    const ids = timeOrderedSids(clock);
    const sids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      sids.push(ids.next("EV"));
      if (i % 10 === 9) clock.advance(1);
    }
    for (const sid of sids) expect(sid).toMatch(/^EV[0-9a-f]{32}$/);
    expect(new Set(sids).size).toBe(sids.length);
    // Across milliseconds the order is the creation order; within one, the random part decides.
    for (let i = 10; i < sids.length; i++) expect(sids[i]! > sids[i - 10]!).toBe(true);
    expect(sids[0]!.slice(2, 14)).toBe(Date.UTC(2026, 10, 21, 9, 0, 0).toString(16).padStart(12, "0"));
    expect(new Set(sids.map((sid) => sid.slice(14))).size).toBe(sids.length);
  });
});
