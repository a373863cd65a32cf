import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { luhnValid, maskCardNumbers } from "./card-numbers.ts";

describe("card number masking", () => {
  it("masks a Luhn-valid card number however it is grouped, keeping the last four digits", () => {
    expect(maskCardNumbers("my card is 4111111111111111 thanks")).toBe("my card is ************1111 thanks");
    expect(maskCardNumbers("4111 1111 1111 1111")).toBe("**** **** **** 1111");
    expect(maskCardNumbers("5500-0000-0000-0004")).toBe("****-****-****-0004");
    expect(maskCardNumbers("amex 3782 822463 10005")).toBe("amex **** ****** *0005");
  });

  it("finds the card number inside a longer run of digit groups without masking its neighbours", () => {
    expect(maskCardNumbers("4111 1111 1111 1111 12 27 123")).toBe("**** **** **** 1111 12 27 123");
    expect(maskCardNumbers("order 12 4111 1111 1111 1111")).toBe("order 12 **** **** **** 1111");
  });

  it("leaves numbers alone that are not card numbers", () => {
    for (const text of [
      "4111111111111112", // fails Luhn
      "call me on +44 20 7946 0958",
      "order 1234567890123", // Luhn-valid? starts with 1 either way: not a card range
      "ref 99999999999999999999999", // too long
      "2026-11-21",
    ])
      expect(maskCardNumbers(text)).toBe(text);
  });

  it("computes the Luhn check", () => {
    expect(luhnValid("79927398713")).toBe(true);
    expect(luhnValid("79927398710")).toBe(false);
  });

  it("never leaves a valid card number readable, whatever surrounds it", () => {
    const card = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 15 }).map((digits) => {
      const body = [4, ...digits];
      // Choose the check digit that makes the number Luhn-valid.
      const check = [...Array(10).keys()].find((d) => luhnValid([...body, d].join("")))!;
      return [...body, check].join("");
    });
    fc.assert(
      fc.property(fc.string(), card, fc.string(), (before, number, after) => {
        const masked = maskCardNumbers(`${before} ${number} ${after}`);
        // (Digits right after it may be read as part of a longer card number: still masked.)
        expect(masked).not.toContain(number);
      }),
    );
  });
});
