import { describe, expect, it } from "vitest";
import { isSid, sequentialSids } from "./ids.ts";

describe("SIDs", () => {
  it("accepts a prefix plus 32 hex digits and rejects anything else", () => {
    expect(isSid("AC0123456789abcdef0123456789abcdef")).toBe(true);
    expect(isSid("AC0123456789abcdef0123456789abcdef", "AC")).toBe(true);
    expect(isSid("AC0123456789abcdef0123456789abcdef", "SK")).toBe(false);
    expect(isSid("ac0123456789abcdef0123456789abcdef")).toBe(false);
    expect(isSid("AC0123456789abcdef0123456789abcde")).toBe(false);
    expect(isSid("AC0123456789abcdef0123456789abcdeg")).toBe(false);
    expect(isSid(42)).toBe(false);
  });

  it("counts up deterministically and in creation order", () => {
    const ids = sequentialSids();
    const a = ids.next("EV");
    const b = ids.next("EV");
    expect(a).toBe("EV00000000000000000000000000000001");
    expect(b > a).toBe(true);
    expect(isSid(b, "EV")).toBe(true);
    expect(() => ids.next("E")).toThrow(/two capital letters/);
  });

  it("writes every hex digit of a large counter, and the next one after it", () => {
    const ids = sequentialSids(0x1f2e3d4c5b6a);
    expect(ids.next("WT")).toBe("WT000000000000000000001f2e3d4c5b6a");
    expect(ids.next("WR")).toBe("WR000000000000000000001f2e3d4c5b6b");
    expect(sequentialSids(Number.MAX_SAFE_INTEGER).next("WT")).toBe("WT0000000000000000001fffffffffffff");
  });
});
