import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileExpression, readAttribute, type EvaluationContext, type ExpressionScope } from "./compile.ts";
import { ExpressionError } from "./syntax.ts";

const worker = (attributes: Record<string, unknown>, facts: Partial<EvaluationContext["worker"]> = {}) => ({
  sid: "WK01",
  friendlyName: "alice",
  activitySid: "WA01",
  activityName: "Available",
  attributes,
  ...facts,
});

function check(
  source: string,
  scope: ExpressionScope,
  context: Omit<EvaluationContext, "now"> & { now?: number },
) {
  return compileExpression(source, scope).test({ now: Date.UTC(2026, 10, 23, 9, 30), ...context });
}

describe("TaskRouter expressions", () => {
  const task = {
    type: "ticket",
    customer_value: "Gold",
    priority: 7,
    vip: true,
    languages: ["en", "fr"],
    routing: { skills: ["sales", "billing"], levels: { sales: 4 } },
    callBackData: { attempts: 2 },
    targetWorker: null,
    list: [{ name: "a" }, { name: "b" }],
  };

  it.each([
    ["type == 'ticket'", true],
    ['type = "ticket"', true],
    ["type != 'ticket'", false],
    ["priority > 5", true],
    ["priority >= 7", true],
    ["priority < 7", false],
    ["priority <= 7.0", true],
    ["customer_value IN ['Silver', 'Bronze']", false],
    ["customer_value IN ['Gold', 'Bronze']", true],
    ["customer_value <- ['Gold']", true],
    ["customer_value NOT IN ['Silver', 'Bronze']", true],
    ["customer_value not in ['Gold']", false],
    ["languages HAS 'fr'", true],
    ["languages >- 'de'", false],
    ["routing.skills HAS 'billing'", true],
    ["routing.levels.sales > 3", true],
    ["customer_value CONTAINS 'ol'", true],
    ["customer_value contains 'gol'", false],
    ["vip == true", true],
    ["vip == TRUE AND priority > 1", true],
    ["callBackData.attempts > 1", true],
    ["list[1].name == 'b'", true],
    ["list[5].name == null", true],
    ["targetWorker != null", false],
    ["targetWorker == null", true],
    ["missing == null", true],
    ["missing != null", false],
    ["missing.deeper.still == null", true],
    ["1==1", true],
    ["1 == 0", false],
    ["type == 'lead' OR type == 'ticket' AND vip == true", true],
    ["(type == 'lead' OR type == 'ticket') AND vip == false", false],
    ["NOT (type == 'lead')", true],
    ["priority == '7'", false],
    ["languages == 'en'", false],
    ["type HAS 't'", false],
    ["type IN 'ticket'", false],
    ["priority > 'a'", false],
    ["constructor == null", true],
    ["priority > -1", true],
  ])("%s → %s", (source, expected) => {
    expect(check(source, "task", { task })).toBe(expected);
  });

  it("resolves task. and worker. in target expressions, with the worker's own facts", () => {
    const w = worker({ spoken_languages: ["en", "es"], contact_uri: "client:alice" });
    const t = { required_language: "es", workerSidsInConversation: ["WK99"], targetWorker: "client:alice" };
    expect(check("task.required_language IN worker.spoken_languages", "target", { task: t, worker: w })).toBe(
      true,
    );
    expect(check("worker.sid NOT IN task.workerSidsInConversation", "target", { task: t, worker: w })).toBe(
      true,
    );
    expect(check("task.targetWorker == worker.contact_uri", "target", { task: t, worker: w })).toBe(true);
    expect(check("worker.activity_name in ['Available', 'Busy']", "target", { task: t, worker: w })).toBe(
      true,
    );
    expect(check("worker.friendly_name == 'alice'", "target", { task: t, worker: w })).toBe(true);
  });

  it("reads worker attributes bare in TargetWorkers", () => {
    const w = worker({ skills: ["support"], languages: ["english"], tech_support_skill: 7 });
    expect(check('(skills HAS "support") AND (languages HAS "english")', "worker", { worker: w })).toBe(true);
    expect(check("tech_support_skill > 5", "worker", { worker: w })).toBe(true);
    expect(check("routing.skills HAS 'sales'", "worker", { worker: w })).toBe(false);
  });

  it("counts a queue's workers in skip_if", () => {
    const workers = { available: 0, unavailable: 3, byActivity: { WA0123: 2 } };
    expect(check("workers.available == 0", "skip", { workers })).toBe(true);
    expect(check("workers.WA0123 > 1 AND workers.unavailable >= 3", "skip", { workers })).toBe(true);
    expect(check("workers.WAother > 0", "skip", { workers })).toBe(false);
  });

  it("offers the time of day in UTC", () => {
    // Monday 2026-11-23 09:30 UTC.
    const business =
      "(taskrouter.dayOfWeek IN ['Mon', 'Tue', 'THU'] AND taskrouter.currentTime > 800 AND taskrouter.currentTime < 1730) OR (taskrouter.dayOfWeek = 'Sat')";
    expect(check(business, "task", { task })).toBe(true);
    expect(check(business, "task", { task, now: Date.UTC(2026, 10, 24, 20, 0) })).toBe(false);
    expect(check("taskrouter.currentHour == 9 AND taskrouter.currentMin == 30", "task", { task })).toBe(true);
    expect(compileExpression(business, "task").usesTime).toBe(true);
    expect(compileExpression("type == 'x'", "task").usesTime).toBe(false);
  });

  it("folds constants", () => {
    expect(compileExpression("1==1", "task").constant).toBe(true);
    expect(compileExpression("1 == 0", "target").constant).toBe(false);
    expect(compileExpression("1==0 AND type == 'x'", "task").constant).toBe(false);
    expect(compileExpression("1==1 OR type == 'x'", "task").constant).toBe(true);
    expect(compileExpression("1==1 AND type == 'x'", "task").constant).toBeUndefined();
  });

  it.each([
    ["", 0, "an expression"],
    ["type ==", 7, "an operand"],
    ["type 'ticket'", 5, "an operator"],
    ["type == 'ticket", 8, "a closing '"],
    ["(type == 'a'", 12, "')'"],
    ["type == 'a' AND", 15, "an operand"],
    ["type == 'a' type == 'b'", 12, "AND, OR or the end of the expression"],
    ["skill-level > 3", 5, "an operator"],
    ["x IN [1, y]", 9, "a constant inside a list"],
    ["x IN [1 2]", 8, "',' or ']'"],
    ["list[a] == 1", 5, "a list index"],
    ["a == 1 # b", 7, "an operand or operator"],
  ])("reports where %j fails and what it expected", (source, position, expected) => {
    try {
      compileExpression(source, "task");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).position).toBe(position);
      expect((error as ExpressionError).expected).toContain(expected);
      expect((error as ExpressionError).message).toMatch(/^expected .* at position \d+ but found/);
    }
  });

  it("requires task. or worker. prefixes in target expressions", () => {
    expect(() => compileExpression("skills HAS 'x'", "target")).toThrow(/task\. or worker\./);
    expect(() => compileExpression("task.size > 1 AND level > 2", "target")).toThrow(
      "expected a path starting with task. or worker. at position 18 but found 'level'",
    );
    expect(() => compileExpression("workers.busy.x > 0", "skip")).toThrow(/workers\.available/);
  });

  it("never throws while evaluating, whatever the attributes hold", () => {
    const expressions = [
      "a == 1",
      "a.b[2].c HAS 'x'",
      "a IN [1, 'x', null, true]",
      "a NOT IN b",
      "a CONTAINS b",
      "a > b OR a <= 'z'",
    ].map((s) => compileExpression(s, "task"));
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        for (const e of expressions) expect(typeof e.test({ now: 0, task: { a, b } })).toBe("boolean");
      }),
    );
  });

  it("agrees with a direct reading of the operator semantics", () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 3 }),
      fc.integer({ min: -5, max: 5 }),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(scalar, scalar, fc.array(scalar, { maxLength: 4 }), (a, b, list) => {
        const t = { a, b, list };
        expect(check("a == b", "task", { task: t })).toBe(a === b);
        expect(check("a != b", "task", { task: t })).toBe(a !== b);
        expect(check("a IN list", "task", { task: t })).toBe(list.includes(a));
        expect(check("a NOT IN list", "task", { task: t })).toBe(!list.includes(a));
        expect(check("list HAS a", "task", { task: t })).toBe(list.includes(a));
        const bothNumbers = typeof a === "number" && typeof b === "number";
        const bothStrings = typeof a === "string" && typeof b === "string";
        expect(check("a < b", "task", { task: t })).toBe((bothNumbers || bothStrings) && a < b);
      }),
    );
  });
});

describe("expression keys", () => {
  const paths = ["skills", "level", "team.name", "langs[0]"];
  const literals = ["'a'", "'b'", "1", "2", "true", "null"];
  const comparison = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...paths),
        fc.constantFrom("==", "!=", "HAS", ">", "CONTAINS"),
        fc.constantFrom(...literals),
      )
      .map(([p, op, v]) => `${p} ${op} ${v}`),
    fc
      .tuple(fc.constantFrom(...paths), fc.constantFrom("IN", "NOT IN"))
      .map(([p, op]) => `${p} ${op} ['a', 1, null]`),
    fc.tuple(fc.constantFrom(...literals), fc.constantFrom(...paths)).map(([v, p]) => `${v} IN ${p}`),
    fc.constantFrom("1 == 1", "1 == 0", "taskrouter.currentHour > 3"),
  );
  const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      comparison,
      fc.tuple(tie("e"), fc.constantFrom("AND", "OR"), tie("e")).map(([l, op, r]) => `(${l}) ${op} (${r})`),
      tie("e").map((e) => `NOT (${e})`),
    ),
  })).e;
  const value = fc.constantFrom<unknown>("a", "b", 1, 2, true, null, ["a", 1], ["b"], [], { name: "a" });
  const attributes = fc.record(
    {
      skills: value,
      level: value,
      team: fc.record({ name: value }),
      langs: fc.array(value, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );

  it("are a necessary condition: whenever an expression holds, one of its keys does", () => {
    fc.assert(
      fc.property(expression, attributes, (source, attrs) => {
        const compiled = compileExpression(source, "worker");
        if (compiled.keys === undefined || !compiled.test({ now: 0, worker: worker(attrs) })) return;
        const holds = compiled.keys.some((key) => {
          const at = readAttribute(attrs, key.path);
          return key.test === "has" ? Array.isArray(at) && at.includes(key.value) : at === key.value;
        });
        expect(holds, `${source} on ${JSON.stringify(attrs)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("are read off the common forms", () => {
    const keys = (source: string) =>
      compileExpression(source, "worker").keys?.map((k) => `${k.pathText} ${k.test} ${String(k.value)}`);
    expect(keys("skills HAS 'billing' AND level > 2")).toEqual(['["skills"] has billing']);
    expect(keys("team == 'a' OR 'x' IN tags")).toEqual(['["team"] equals a', '["tags"] has x']);
    expect(keys("lang IN ['en', 'fr']")).toEqual(['["lang"] equals en', '["lang"] equals fr']);
    expect(keys("1 == 0")).toEqual([]);
    expect(keys("1 == 1")).toBeUndefined();
    expect(keys("level > 2 OR skills HAS 'a'")).toBeUndefined();
    expect(keys("NOT (skills HAS 'a')")).toBeUndefined();
  });
});
