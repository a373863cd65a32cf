/**
 * The metric formula language: arithmetic over named measures and metrics, evaluated after a
 * report's rows are summed, so a formula is a ratio of totals (service level = answered within the
 * threshold / offered), never an average of per-row ratios.
 *
 *   formula  := sum
 *   sum      := product (("+" | "-") product)*
 *   product  := unary (("*" | "/") unary)*
 *   unary    := "-" unary | primary
 *   primary  := number | name | name "(" formula ("," formula)* ")" | "(" formula ")"
 *
 * Names are measures or other metrics (letters, digits, `_`; case-sensitive). Functions: `min`,
 * `max` (two or more arguments), `abs`, `round(x)` / `round(x, digits)`, `coalesce(a, b, …)` (the
 * first that is not empty). Every value is a number or empty (null): dividing by zero is empty, and
 * anything computed from an empty value is empty, except through `coalesce`.
 */

export type FormulaValue = number | null;

type Node =
  | { kind: "number"; value: number }
  | { kind: "name"; name: string }
  | { kind: "negate"; operand: Node }
  | { kind: "binary"; operator: "+" | "-" | "*" | "/"; left: Node; right: Node }
  | { kind: "call"; name: FunctionName; args: Node[] };

const FUNCTIONS = {
  min: { arity: [2, Infinity] },
  max: { arity: [2, Infinity] },
  abs: { arity: [1, 1] },
  round: { arity: [1, 2] },
  coalesce: { arity: [1, Infinity] },
} as const;
type FunctionName = keyof typeof FUNCTIONS;

export class FormulaError extends Error {
  constructor(
    message: string,
    /** 0-based character position the problem was found at. */
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = "FormulaError";
  }
}

/** A parsed formula: the names it reads, and its value for given values of those names. */
export interface Formula {
  readonly source: string;
  /** Every name the formula reads, in order of first use. */
  readonly names: readonly string[];
  evaluate(value: (name: string) => FormulaValue): FormulaValue;
}

export function parseFormula(source: string): Formula {
  const parser = new Parser(source);
  const root = parser.formula();
  const names: string[] = [];
  collectNames(root, names);
  return { source, names, evaluate: (value) => evaluate(root, value) };
}

type Token =
  | { kind: "number"; value: number; at: number }
  | { kind: "name"; name: string; at: number }
  | { kind: "symbol"; symbol: string; at: number }
  | { kind: "end"; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const match = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
      if (!match) throw new FormulaError("expected a number", i);
      tokens.push({ kind: "number", value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))![0];
      tokens.push({ kind: "name", name, at: i });
      i += name.length;
    } else if ("+-*/(),".includes(c)) {
      tokens.push({ kind: "symbol", symbol: c, at: i });
      i++;
    } else {
      throw new FormulaError(`unexpected character "${c}"`, i);
    }
  }
  tokens.push({ kind: "end", at: source.length });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  formula(): Node {
    const node = this.sum();
    const next = this.peek();
    if (next.kind !== "end")
      throw new FormulaError("expected an operator or the end of the formula", next.at);
    return node;
  }

  private sum(): Node {
    let node = this.product();
    for (let op = this.symbol("+", "-"); op; op = this.symbol("+", "-")) {
      node = { kind: "binary", operator: op as "+" | "-", left: node, right: this.product() };
    }
    return node;
  }

  private product(): Node {
    let node = this.unary();
    for (let op = this.symbol("*", "/"); op; op = this.symbol("*", "/")) {
      node = { kind: "binary", operator: op as "*" | "/", left: node, right: this.unary() };
    }
    return node;
  }

  private unary(): Node {
    if (this.symbol("-")) return { kind: "negate", operand: this.unary() };
    return this.primary();
  }

  private primary(): Node {
    const token = this.next();
    if (token.kind === "number") return { kind: "number", value: token.value };
    if (token.kind === "symbol" && token.symbol === "(") {
      const inner = this.sum();
      this.expect(")");
      return inner;
    }
    if (token.kind === "name") {
      if (!this.symbol("(")) return { kind: "name", name: token.name };
      if (!(token.name in FUNCTIONS)) {
        throw new FormulaError(
          `unknown function "${token.name}" (expected one of ${Object.keys(FUNCTIONS).join(", ")})`,
          token.at,
        );
      }
      const name = token.name as FunctionName;
      const args = [this.sum()];
      while (this.symbol(",")) args.push(this.sum());
      this.expect(")");
      const [least, most] = FUNCTIONS[name].arity;
      if (args.length < least || args.length > most) {
        const wanted =
          least === most ? `${least}` : most === Infinity ? `at least ${least}` : `${least} or ${most}`;
        throw new FormulaError(`${name} takes ${wanted} argument${wanted === "1" ? "" : "s"}`, token.at);
      }
      return { kind: "call", name, args };
    }
    throw new FormulaError("expected a number, a name or (", token.at);
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== "end") this.index++;
    return token;
  }

  /** Consumes the next token if it is one of `symbols`, returning it. */
  private symbol(...symbols: string[]): string | undefined {
    const token = this.peek();
    if (token.kind === "symbol" && symbols.includes(token.symbol)) {
      this.index++;
      return token.symbol;
    }
    return undefined;
  }

  private expect(symbol: string): void {
    if (!this.symbol(symbol)) throw new FormulaError(`expected "${symbol}"`, this.peek().at);
  }
}

function collectNames(node: Node, names: string[]): void {
  switch (node.kind) {
    case "name":
      if (!names.includes(node.name)) names.push(node.name);
      return;
    case "negate":
      return collectNames(node.operand, names);
    case "binary":
      collectNames(node.left, names);
      return collectNames(node.right, names);
    case "call":
      for (const arg of node.args) collectNames(arg, names);
      return;
    case "number":
      return;
  }
}

function evaluate(node: Node, value: (name: string) => FormulaValue): FormulaValue {
  switch (node.kind) {
    case "number":
      return node.value;
    case "name":
      return value(node.name);
    case "negate": {
      const operand = evaluate(node.operand, value);
      return operand === null ? null : -operand;
    }
    case "binary":
      return arithmetic(node.operator, evaluate(node.left, value), evaluate(node.right, value));
    case "call":
      return call(
        node.name,
        node.args.map((arg) => evaluate(arg, value)),
      );
  }
}

function arithmetic(operator: "+" | "-" | "*" | "/", left: FormulaValue, right: FormulaValue): FormulaValue {
  if (left === null || right === null) return null;
  switch (operator) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      return right === 0 ? null : left / right;
  }
}

function call(name: FunctionName, args: FormulaValue[]): FormulaValue {
  if (name === "coalesce") return args.find((arg) => arg !== null) ?? null;
  if (args.some((arg) => arg === null)) return null;
  const numbers = args as number[];
  switch (name) {
    case "min":
      return Math.min(...numbers);
    case "max":
      return Math.max(...numbers);
    case "abs":
      return Math.abs(numbers[0]!);
    case "round": {
      const scale = 10 ** (numbers[1] ?? 0);
      return Math.round(numbers[0]! * scale) / scale;
    }
  }
}
