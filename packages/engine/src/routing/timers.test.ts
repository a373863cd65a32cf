import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimerQueue } from "./timers.ts";

describe("TimerQueue", () => {
  it("pops timers in due order, ties in insertion order, and only when due", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60, size: "max" }),
        fc.integer({ min: 0, max: 60 }),
        (dues, now) => {
          const queue = new TimerQueue();
          dues.forEach((at, i) => queue.add(at, `T${i}`, 0, i));
          const popped: Array<{ at: number; i: number }> = [];
          for (let t = queue.popDue(now); t; t = queue.popDue(now))
            popped.push({ at: t.at, i: Number(t.ref.slice(1)) });
          const expected = dues
            .map((at, i) => ({ at, i }))
            .filter((x) => x.at <= now)
            .sort((a, b) => a.at - b.at || a.i - b.i);
          expect(popped).toEqual(expected);
          expect(queue.size).toBe(dues.length - expected.length);
          if (queue.size) expect(queue.peek()!.at).toBeGreaterThan(now);
        },
      ),
    );
  });
});
