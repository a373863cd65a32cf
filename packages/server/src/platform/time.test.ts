import { describe, expect, it } from "vitest";
import { isoAt } from "./time.ts";

describe("isoAt", () => {
  it("formats each instant, however calls repeat and alternate", () => {
    const a = Date.UTC(2026, 10, 21, 0, 21, 5, 123);
    const b = a + 1;
    expect([a, a, b, a, b, b].map(isoAt)).toEqual([
      "2026-11-21T00:21:05.123Z",
      "2026-11-21T00:21:05.123Z",
      "2026-11-21T00:21:05.124Z",
      "2026-11-21T00:21:05.123Z",
      "2026-11-21T00:21:05.124Z",
      "2026-11-21T00:21:05.124Z",
    ]);
  });

  it("refuses a time that is not one, even right after a good one", () => {
    isoAt(0);
    expect(() => isoAt(NaN)).toThrow(RangeError);
    expect(isoAt(0)).toBe("1970-01-01T00:00:00.000Z");
  });
});
