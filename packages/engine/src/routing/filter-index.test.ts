import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileExpression } from "../expressions/index.ts";
import { FilterIndex } from "./filter-index.ts";

const value = fc.constantFrom("'a'", "'b'", "'c'", "1", "2", "true", "null");
/** Filter expressions of the forms workflows use, keyed (equality, HAS, IN) and not, combined. */
const comparison = fc.oneof(
  value.map((v) => `skill == ${v}`),
  value.map((v) => `${v} == skill`),
  value.map((v) => `skills HAS ${v}`),
  value.map((v) => `routing.lang = ${v}`),
  fc.tuple(value, value).map(([v, w]) => `skill IN [${v}, ${w}]`),
  fc.integer({ min: 0, max: 3 }).map((n) => `level > ${n}`),
  value.map((v) => `skill != ${v}`),
  fc.constantFrom("1 == 1", "1 == 0"),
);
const expression = fc.oneof(
  { weight: 3, arbitrary: comparison },
  fc.tuple(comparison, comparison).map(([l, r]) => `${l} AND ${r}`),
  fc.tuple(comparison, comparison).map(([l, r]) => `${l} OR ${r}`),
  comparison.map((c) => `NOT (${c})`),
);
const scalar = fc.constantFrom("a", "b", "c", 1, 2, true, null);
const attributes = fc.record(
  {
    skill: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })),
    skills: fc.oneof(fc.array(scalar, { maxLength: 4, size: "max" }), scalar),
    level: fc.integer({ min: 0, max: 4 }),
    routing: fc.record({ lang: scalar }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

describe("FilterIndex", () => {
  it("finds the filter that testing each in order from any start would", () => {
    fc.assert(
      fc.property(
        fc.array(expression, { maxLength: 30, size: "max" }),
        attributes,
        fc.nat({ max: 31 }),
        (sources, task, from) => {
          const expressions = sources.map((source) => compileExpression(source, "task"));
          const context = { now: 0, task };
          let expected = -1;
          for (let i = from; i < expressions.length && expected < 0; i++)
            if (expressions[i]!.test(context)) expected = i;
          expect(new FilterIndex(expressions).firstMatch(context, from)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("tests only the filters the task's attributes may match", () => {
    const sources = Array.from({ length: 50 }, (_, i) => `skill == 'skill_${i}'`);
    let tests = 0;
    const expressions = sources.map((source) => {
      const compiled = compileExpression(source, "task");
      return {
        ...compiled,
        test: (context: Parameters<typeof compiled.test>[0]) => (tests++, compiled.test(context)),
      };
    });
    const index = new FilterIndex(expressions);
    expect(index.firstMatch({ now: 0, task: { skill: "skill_37" } }, 0)).toBe(37);
    expect(index.firstMatch({ now: 0, task: { skill: "skill_37" } }, 38)).toBe(-1);
    expect(index.firstMatch({ now: 0, task: { skill: "other" } }, 0)).toBe(-1);
    expect(tests).toBe(1);
  });
});
