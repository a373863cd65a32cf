import { describe, expect, it } from "vitest";
import { FormulaError, parseFormula } from "./formula.ts";
import { MetricCatalog, MetricError } from "./metrics.ts";

const values = (record: Record<string, number | null>) => (name: string) => record[name] ?? null;

describe("formulas", () => {
  it("evaluates arithmetic with precedence, parentheses and unary minus", () => {
    expect(parseFormula("1 + 2 * 3").evaluate(values({}))).toBe(7);
    expect(parseFormula("(1 + 2) * 3").evaluate(values({}))).toBe(9);
    expect(parseFormula("-a - -2").evaluate(values({ a: 5 }))).toBe(-3);
    expect(parseFormula("a / b / 1000").evaluate(values({ a: 6000, b: 2 }))).toBe(3);
    expect(parseFormula("1.5e3 + .5").evaluate(values({}))).toBe(1500.5);
  });

  it("makes division by zero and missing values empty, which only coalesce replaces", () => {
    expect(parseFormula("a / b").evaluate(values({ a: 1, b: 0 }))).toBeNull();
    expect(parseFormula("a / b + 1").evaluate(values({ a: 1, b: 0 }))).toBeNull();
    expect(parseFormula("coalesce(a / b, 0) + 1").evaluate(values({ a: 1, b: 0 }))).toBe(1);
    expect(parseFormula("max(x, 2)").evaluate(values({}))).toBeNull();
  });

  it("has min, max, abs and round", () => {
    const v = values({ a: 3, b: -7 });
    expect(parseFormula("min(a, b, 0)").evaluate(v)).toBe(-7);
    expect(parseFormula("max(a, b)").evaluate(v)).toBe(3);
    expect(parseFormula("abs(b)").evaluate(v)).toBe(7);
    expect(parseFormula("round(2 / 3, 2)").evaluate(v)).toBe(0.67);
    expect(parseFormula("round(a / 2)").evaluate(v)).toBe(2);
  });

  it("lists the names it reads, once each", () => {
    expect(parseFormula("a / (a + b) * coalesce(c, 1)").names).toEqual(["a", "b", "c"]);
  });

  it("names the position and what was expected when a formula does not parse", () => {
    const problem = (source: string) => {
      try {
        parseFormula(source);
      } catch (error) {
        expect(error).toBeInstanceOf(FormulaError);
        return (error as Error).message;
      }
      throw new Error(`${source} parsed`);
    };
    expect(problem("a +")).toBe("expected a number, a name or ( at position 3");
    expect(problem("(a + b")).toBe('expected ")" at position 6');
    expect(problem("a b")).toBe("expected an operator or the end of the formula at position 2");
    expect(problem("a % b")).toBe('unexpected character "%" at position 2');
    expect(problem("sqrt(a)")).toBe(
      'unknown function "sqrt" (expected one of min, max, abs, round, coalesce) at position 0',
    );
    expect(problem("round(a, 1, 2)")).toBe("round takes 1 or 2 arguments at position 0");
    expect(problem("abs()")).toBe("expected a number, a name or ( at position 4");
  });
});

describe("metric catalog", () => {
  const totals = {
    offered: 10,
    handled: 8,
    completed: 8,
    abandoned: 2,
    short_abandoned: 1,
    answered_in_sl: 6,
    wait_ms: 80_000,
    talk_ms: 1_600_000,
    wrap_ms: 160_000,
    busy_ms: 3_000,
    available_ms: 1_000,
  };

  it("computes the standard metrics from totals", () => {
    const catalog = new MetricCatalog([]);
    expect(catalog.evaluate("service_level", totals)).toBe(0.6);
    expect(catalog.evaluate("abandon_rate", totals)).toBe(0.2);
    expect(catalog.evaluate("average_speed_of_answer", totals)).toBe(10);
    expect(catalog.evaluate("average_handle_time", totals)).toBe(220);
    expect(catalog.evaluate("occupancy", totals)).toBe(0.75);
    expect(catalog.evaluate("utilization", totals)).toBeNull();
  });

  it("lets an account redefine a standard metric and build on metrics", () => {
    const catalog = new MetricCatalog(
      [
        {
          name: "service_level",
          formula: "answered_in_sl / (offered - short_abandoned)",
          format: "percent",
          description: "SL without short abandons",
        },
        { name: "sl_gap", formula: "0.8 - service_level", format: "number", description: "" },
        { name: "csat", formula: "survey / survey_count", format: "number", description: "" },
      ],
      ["survey"],
    );
    expect(catalog.evaluate("service_level", totals)).toBeCloseTo(6 / 9);
    expect(catalog.evaluate("sl_gap", totals)).toBeCloseTo(0.8 - 6 / 9);
    expect([...catalog.measuresOf("sl_gap")].sort()).toEqual([
      "answered_in_sl",
      "offered",
      "short_abandoned",
    ]);
    expect(catalog.evaluate("csat", { survey: 13, survey_count: 3 })).toBeCloseTo(13 / 3);
  });

  it("refuses unknown names and metrics that depend on themselves", () => {
    expect(
      () => new MetricCatalog([{ name: "x", formula: "nope + 1", format: "number", description: "" }]),
    ).toThrow('Metric x uses "nope", which is neither a measure nor a metric');
    expect(
      () =>
        new MetricCatalog([
          { name: "a", formula: "b + 1", format: "number", description: "" },
          { name: "b", formula: "a * 2", format: "number", description: "" },
        ]),
    ).toThrow(MetricError);
    expect(
      () => new MetricCatalog([{ name: "x", formula: "1 +", format: "number", description: "" }]),
    ).toThrow("Metric x expected a number, a name or ( at position 3");
  });
});
