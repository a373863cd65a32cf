import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countSegments } from "./segments.ts";

describe("SMS segment counting", () => {
  it("fits 160 GSM-7 characters in one segment and splits longer ones by 153", () => {
    expect(countSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", segments: 1, units: 160 });
    expect(countSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", segments: 2, units: 161 });
    expect(countSegments("a".repeat(306)).segments).toBe(2);
    expect(countSegments("a".repeat(307)).segments).toBe(3);
    expect(countSegments("").segments).toBe(1);
  });

  it("counts extension characters as two septets and never splits their escape", () => {
    expect(countSegments("€".repeat(80))).toEqual({ encoding: "GSM-7", segments: 1, units: 160 });
    expect(countSegments("€".repeat(81)).segments).toBe(2);
    // 152 plain septets then a two-septet character: the pair moves to the second segment.
    expect(countSegments("a".repeat(152) + "{" + "a".repeat(10)).segments).toBe(2);
    expect(countSegments("a".repeat(152) + "{" + "a".repeat(152)).segments).toBe(3);
  });

  it("switches to UCS-2 for any character outside the GSM alphabet", () => {
    expect(countSegments("Thank you for choosing us via SMS")).toMatchObject({ encoding: "GSM-7" });
    expect(countSegments("Merci, à bientôt")).toMatchObject({ encoding: "UCS-2", units: 16 });
    expect(countSegments("x".repeat(69) + "ô").segments).toBe(1);
    expect(countSegments("x".repeat(70) + "ô").segments).toBe(2);
    expect(countSegments("ô".repeat(134)).segments).toBe(2);
    expect(countSegments("ô".repeat(135)).segments).toBe(3);
  });

  it("keeps a surrogate pair in one segment", () => {
    expect(countSegments("😀".repeat(35))).toEqual({ encoding: "UCS-2", segments: 1, units: 70 });
    // 66 units then an emoji of 2: it does not fit in the first part of 67.
    expect(countSegments("ô".repeat(66) + "😀" + "ô".repeat(10)).segments).toBe(2);
    expect(countSegments("ô".repeat(66) + "😀" + "ô".repeat(66)).segments).toBe(3);
  });

  it("never puts more than a part's worth in a segment", () => {
    const alphabet = [..."aZ0 @€{}ô😀"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 600, size: "max" }), (characters) => {
        const body = characters.join("");
        const { encoding, segments, units } = countSegments(body);
        const single = encoding === "GSM-7" ? 160 : 70;
        const part = encoding === "GSM-7" ? 153 : 67;
        if (units <= single) expect(segments).toBe(1);
        else {
          expect(segments).toBeGreaterThanOrEqual(Math.ceil(units / part));
          // A whole character moved forward wastes at most one unit per segment.
          expect(segments).toBeLessThanOrEqual(Math.ceil(units / (part - 1)));
        }
      }),
    );
  });
});
