/**
 * The TaskRouter expression language: tokens, syntax tree and parser.
 *
 *   expr       := and ( OR and )*
 *   and        := unary ( AND unary )*
 *   unary      := NOT unary | '(' expr ')' | comparison
 *   comparison := operand op operand
 *   op         := == | = | != | < | <= | > | >= | CONTAINS | HAS | >- | IN | <- | NOT IN
 *   operand    := string | number | true | false | null | '[' constants ']' | path
 *   path       := ident ( '.' ident | '[' int ']' )*
 *
 * Keywords are case-insensitive. AND binds tighter than OR. Prefix NOT is an extension (Twilio
 * documents only AND/OR) accepted for convenience.
 */

export type Scalar = string | number | boolean | null;

export type Operator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "HAS" | "IN" | "NOT IN";

export type Operand =
  | { kind: "literal"; value: Scalar }
  | { kind: "list"; values: Scalar[] }
  | { kind: "path"; segments: Array<string | number>; text: string; position: number };

export type ExpressionNode =
  | { kind: "or" | "and"; left: ExpressionNode; right: ExpressionNode }
  | { kind: "not"; operand: ExpressionNode }
  | { kind: "compare"; operator: Operator; left: Operand; right: Operand; position: number };

/** A syntax or scope error, naming where in the source it is and what was expected there. */
export class ExpressionError extends Error {
  constructor(
    readonly source: string,
    /** 0-based offset into the source. */
    readonly position: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`expected ${expected} at position ${position} but found ${found}`);
    this.name = "ExpressionError";
  }
}

type TokenKind = "string" | "number" | "ident" | "op" | "punct" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  /** For strings and numbers: the literal value. */
  value?: string | number;
  position: number;
}

const OPERATOR_TOKENS = ["==", "!=", "<=", ">=", ">-", "<-", "=", "<", ">"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let text = "";
      i++;
      while (i < source.length && source[i] !== c) {
        // A backslash escapes the quote or itself, as in JSON-ish strings written by hand.
        if (source[i] === "\\" && (source[i + 1] === c || source[i + 1] === "\\")) i++;
        text += source[i];
        i++;
      }
      if (i >= source.length)
        throw new ExpressionError(source, start, `a closing ${c}`, "the end of the expression");
      i++;
      tokens.push({ kind: "string", text: source.slice(start, i), value: text, position: start });
      continue;
    }
    const number = /^-?(\d+(\.\d+)?|\.\d+)/.exec(source.slice(i));
    if (number && (c !== "-" || isValueStart(tokens.at(-1)))) {
      i += number[0].length;
      tokens.push({ kind: "number", text: number[0], value: Number(number[0]), position: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      tokens.push({ kind: "ident", text: source.slice(start, i), position: start });
      continue;
    }
    const op = OPERATOR_TOKENS.find((o) => source.startsWith(o, i));
    if (op) {
      i += op.length;
      tokens.push({ kind: "op", text: op, position: start });
      continue;
    }
    if ("()[],.".includes(c)) {
      i++;
      tokens.push({ kind: "punct", text: c, position: start });
      continue;
    }
    if (c === "-" && tokens.at(-1)?.kind === "ident") {
      // A common mistake: TaskRouter attribute names cannot contain hyphens (`skill-level`).
      throw new ExpressionError(source, start, "an operator (attribute names cannot contain '-')", "'-'");
    }
    throw new ExpressionError(source, start, "an operand or operator", `'${c}'`);
  }
  tokens.push({ kind: "end", text: "", position: source.length });
  return tokens;
}

/** A '-' starts a negative number only where a value may start (not right after an operand). */
function isValueStart(previous: Token | undefined): boolean {
  return (
    !previous ||
    previous.kind === "op" ||
    (previous.kind === "punct" && "([,".includes(previous.text)) ||
    isKeyword(previous, "IN", "HAS", "CONTAINS", "AND", "OR", "NOT")
  );
}

function isKeyword(token: Token | undefined, ...words: string[]): boolean {
  return token?.kind === "ident" && words.includes(token.text.toUpperCase());
}

const LITERAL_WORDS: Record<string, Scalar> = { TRUE: true, FALSE: false, NULL: null };

class Parser {
  private index = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): ExpressionNode {
    const node = this.or();
    const next = this.peek();
    if (next.kind !== "end") this.fail("AND, OR or the end of the expression", next);
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private advance(): Token {
    const token = this.peek();
    this.index++;
    return token;
  }

  private fail(expected: string, token: Token): never {
    const found = token.kind === "end" ? "the end of the expression" : `'${token.text}'`;
    throw new ExpressionError(this.source, token.position, expected, found);
  }

  private or(): ExpressionNode {
    let left = this.and();
    while (isKeyword(this.peek(), "OR")) {
      this.advance();
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): ExpressionNode {
    let left = this.unary();
    while (isKeyword(this.peek(), "AND")) {
      this.advance();
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): ExpressionNode {
    const token = this.peek();
    if (isKeyword(token, "NOT")) {
      this.advance();
      return { kind: "not", operand: this.unary() };
    }
    if (token.kind === "punct" && token.text === "(") {
      this.advance();
      const inner = this.or();
      const close = this.advance();
      if (close.kind !== "punct" || close.text !== ")") this.fail("')'", close);
      return inner;
    }
    return this.comparison();
  }

  private comparison(): ExpressionNode {
    const position = this.peek().position;
    const left = this.operand();
    const operator = this.operator();
    const right = this.operand();
    return { kind: "compare", operator, left, right, position };
  }

  private operator(): Operator {
    const token = this.advance();
    if (token.kind === "op") {
      switch (token.text) {
        case "=":
        case "==":
          return "==";
        case ">-":
          return "HAS";
        case "<-":
          return "IN";
        default:
          return token.text as Operator;
      }
    }
    if (token.kind === "ident") {
      const word = token.text.toUpperCase();
      if (word === "HAS" || word === "IN" || word === "CONTAINS") return word;
      if (word === "NOT" && isKeyword(this.peek(), "IN")) {
        this.advance();
        return "NOT IN";
      }
    }
    return this.fail("an operator (==, !=, <, <=, >, >=, CONTAINS, HAS, IN, NOT IN)", token);
  }

  private operand(): Operand {
    const token = this.peek();
    if (token.kind === "string" || token.kind === "number") {
      this.advance();
      return { kind: "literal", value: token.value! };
    }
    if (token.kind === "punct" && token.text === "[") return this.list();
    if (token.kind === "ident") {
      const word = token.text.toUpperCase();
      if (word in LITERAL_WORDS) {
        this.advance();
        return { kind: "literal", value: LITERAL_WORDS[word]! };
      }
      if (word === "AND" || word === "OR" || word === "NOT") this.fail("an operand", token);
      return this.path();
    }
    return this.fail("an operand (a string, number, true, false, null, [list] or attribute path)", token);
  }

  private list(): Operand {
    this.advance();
    const values: Scalar[] = [];
    if (this.peek().kind === "punct" && this.peek().text === "]") {
      this.advance();
      return { kind: "list", values };
    }
    for (;;) {
      const item = this.operand();
      if (item.kind !== "literal") this.fail("a constant inside a list", this.tokens[this.index - 1]!);
      values.push(item.value);
      const next = this.advance();
      if (next.kind === "punct" && next.text === "]") return { kind: "list", values };
      if (next.kind !== "punct" || next.text !== ",") this.fail("',' or ']'", next);
    }
  }

  private path(): Operand {
    const first = this.advance();
    const segments: Array<string | number> = [first.text];
    let end = first.position + first.text.length;
    for (;;) {
      const next = this.peek();
      if (next.kind === "punct" && next.text === "." && this.peek(1).kind === "ident") {
        this.advance();
        const name = this.advance();
        segments.push(name.text);
        end = name.position + name.text.length;
      } else if (next.kind === "punct" && next.text === "[") {
        this.advance();
        const index = this.advance();
        if (index.kind !== "number" || !Number.isInteger(index.value) || (index.value as number) < 0) {
          this.fail("a list index (0, 1, 2, ...)", index);
        }
        const close = this.advance();
        if (close.kind !== "punct" || close.text !== "]") this.fail("']'", close);
        segments.push(index.value as number);
        end = close.position + 1;
      } else {
        break;
      }
    }
    return { kind: "path", segments, text: this.source.slice(first.position, end), position: first.position };
  }
}

export function parseExpression(source: string): ExpressionNode {
  if (source.trim() === "") throw new ExpressionError(source, 0, "an expression", "nothing");
  return new Parser(source, tokenize(source)).parse();
}
