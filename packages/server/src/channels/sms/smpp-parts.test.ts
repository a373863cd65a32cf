import smpp from "smpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PartAssembler } from "./smpp-parts.ts";

const TEMPORARY = smpp.errors.ESME_RX_T_APPN;

describe("joining concatenated SMS parts", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("stores the whole once every part is in, whatever their order, then answers each part", async () => {
    const assembler = new PartAssembler(1_000);
    const stored: string[] = [];
    const whole = (body: string) => {
      stored.push(body);
      return Promise.resolve();
    };
    const third = assembler.add("k", { total: 3, sequence: 3 }, "!", whole);
    const first = assembler.add("k", { total: 3, sequence: 1 }, "Hello", whole);
    expect(stored).toEqual([]);
    const second = assembler.add("k", { total: 3, sequence: 2 }, ", world", whole);
    expect(await Promise.all([first, second, third])).toEqual([0, 0, 0]);
    expect(stored).toEqual(["Hello, world!"]);
  });

  it("asks the SMSC to resend parts whose siblings never come, or that could not be stored", async () => {
    const assembler = new PartAssembler(1_000);
    const never = vi.fn(() => Promise.resolve());
    const lonely = assembler.add("a", { total: 2, sequence: 1 }, "half", never);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await lonely).toBe(TEMPORARY);
    expect(never).not.toHaveBeenCalled();

    const failing = () => Promise.reject(new Error("database down"));
    const parts = [
      assembler.add("b", { total: 2, sequence: 1 }, "x", failing),
      assembler.add("b", { total: 2, sequence: 2 }, "y", failing),
    ];
    expect(await Promise.all(parts)).toEqual([TEMPORARY, TEMPORARY]);
  });
});
