/**
 * A parser for the part of SoQL the simulator evaluates: boolean combinations
 * (AND, OR, NOT, parentheses) of comparisons (=, ==, !=, <>, <, <=, >, >=),
 * `[NOT] LIKE`, `IS [NOT] NULL`, calls of upper()/lower(), casts
 * (`expr::number`, `expr::text`, `expr::floating_timestamp`), column names,
 * single-quoted strings ('' is a quote; nothing else is special, as in
 * Socrata's lexer), numbers, TRUE/FALSE/NULL, and `--` and block comments.
 * Precedence follows Socrata's parser: OR < AND < NOT < IS/LIKE < comparison
 * < `::` (a postfix cast binds to the operand just before it).
 * Anything else is `query.compiler.malformed`, as the real service would say.
 */

export type SoqlErrorCode =
  "query.compiler.malformed" | "query.soql.no-such-column" | "query.soql.no-such-function" | "query.soql.type-mismatch" | "query.execution.error";

/** A query the service refuses; rendered as a SODA 400 error body. */
export class SoqlError extends Error {
  override readonly name = "SoqlError";
  constructor(
    readonly code: SoqlErrorCode,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** The types a `::` cast can name here; the ones a permit column can have. */
export const CAST_TYPES = ["number", "text", "floating_timestamp"] as const;
export type CastType = (typeof CAST_TYPES)[number];

export type SoqlExpr =
  | { kind: "column"; name: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number; text: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "call"; fn: string; args: SoqlExpr[] }
  | { kind: "cast"; to: CastType; operand: SoqlExpr }
  | { kind: "compare"; op: CompareOp; left: SoqlExpr; right: SoqlExpr }
  | { kind: "like"; negated: boolean; subject: SoqlExpr; pattern: SoqlExpr }
  | { kind: "isNull"; negated: boolean; subject: SoqlExpr }
  | { kind: "and" | "or"; left: SoqlExpr; right: SoqlExpr }
  | { kind: "not"; operand: SoqlExpr };

export type Token =
  | { type: "ident"; text: string; pos: number }
  | { type: "string"; text: string; value: string; pos: number }
  | { type: "number"; text: string; pos: number }
  | { type: "op"; text: string; pos: number }
  | { type: "eof"; text: ""; pos: number };

const OPERATORS = ["::", "<=", ">=", "<>", "!=", "==", "=", "<", ">", "(", ")", ","];
const IDENT = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const NUMBER = /[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/y;

function position(source: string, pos: number) {
  const before = source.slice(0, pos).split("\n");
  return { row: before.length, column: before.at(-1)!.length + 1, line: source.split("\n")[before.length - 1] ?? "" };
}

export function malformed(source: string, pos: number, message: string): SoqlError {
  const at = position(source, pos);
  return new SoqlError("query.compiler.malformed", `${message} at line ${at.row}, column ${at.column}`, { query: source, position: at });
}

/** Splits SoQL text into tokens; unterminated strings or comments and stray characters are malformed. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/[ \t\r\n]/.test(ch)) {
      i++;
    } else if (source.startsWith("--", i)) {
      const end = source.indexOf("\n", i);
      i = end < 0 ? source.length : end;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw malformed(source, source.length, "Unexpected end of input inside a comment");
      i = end + 2;
    } else if (ch === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        const quote = source.indexOf("'", j);
        if (quote < 0) throw malformed(source, source.length, "Unexpected end of input inside a string literal");
        value += source.slice(j, quote);
        if (source[quote + 1] === "'") {
          value += "'";
          j = quote + 2;
        } else {
          j = quote + 1;
          break;
        }
      }
      tokens.push({ type: "string", text: source.slice(i, j), value, pos: i });
      i = j;
    } else {
      NUMBER.lastIndex = i;
      IDENT.lastIndex = i;
      const num = NUMBER.exec(source);
      const ident = num ? null : IDENT.exec(source);
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (num) tokens.push({ type: "number", text: num[0], pos: i });
      else if (ident) tokens.push({ type: "ident", text: ident[0], pos: i });
      else if (op) tokens.push({ type: "op", text: op, pos: i });
      else throw malformed(source, i, `Unexpected character ${JSON.stringify(ch)}`);
      i += (num ?? ident)?.[0].length ?? op!.length;
    }
  }
  tokens.push({ type: "eof", text: "", pos: source.length });
  return tokens;
}

const KEYWORDS = new Set(["and", "or", "not", "like", "is", "null", "true", "false", "between", "in", "select", "where", "order", "by"]);

/** A cursor over tokens with the helpers the parsers below share. */
export class TokenReader {
  private index = 0;
  constructor(
    readonly source: string,
    private readonly tokens: Token[] = tokenize(source),
  ) {}
  peek(): Token {
    return this.tokens[this.index]!;
  }
  next(): Token {
    const token = this.peek();
    if (token.type !== "eof") this.index++;
    return token;
  }
  /** Consumes the next token when it is the keyword (case-insensitive) or operator given. */
  accept(word: string): boolean {
    const token = this.peek();
    const matches = token.type === "ident" ? token.text.toLowerCase() === word : token.type === "op" && token.text === word;
    if (matches) this.index++;
    return matches;
  }
  fail(expected: string): never {
    const token = this.peek();
    const got = token.type === "eof" ? "end of input" : JSON.stringify(token.text);
    throw malformed(this.source, token.pos, `Expected ${expected}, but got ${got}`);
  }
  expect(word: string): void {
    if (!this.accept(word)) this.fail(JSON.stringify(word));
  }
  /** A plain (non-keyword) identifier: a column name. */
  identifier(): string {
    const token = this.peek();
    if (token.type !== "ident" || KEYWORDS.has(token.text.toLowerCase())) this.fail("a column name");
    this.index++;
    return token.text;
  }
  end(): void {
    if (this.peek().type !== "eof") this.fail("end of input");
  }
}

const COMPARE: Record<string, CompareOp> = { "=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };

/** Parses a `$where` expression into its syntax tree. */
export function parseWhere(source: string): SoqlExpr {
  const r = new TokenReader(source);
  const expr = orExpr(r);
  r.end();
  return expr;
}

function orExpr(r: TokenReader): SoqlExpr {
  let left = andExpr(r);
  while (r.accept("or")) left = { kind: "or", left, right: andExpr(r) };
  return left;
}

function andExpr(r: TokenReader): SoqlExpr {
  let left = notExpr(r);
  while (r.accept("and")) left = { kind: "and", left, right: notExpr(r) };
  return left;
}

function notExpr(r: TokenReader): SoqlExpr {
  return r.accept("not") ? { kind: "not", operand: notExpr(r) } : likeIsExpr(r);
}

function likeIsExpr(r: TokenReader): SoqlExpr {
  let subject = compareExpr(r);
  for (;;) {
    if (r.accept("is")) {
      const negated = r.accept("not");
      r.expect("null");
      subject = { kind: "isNull", negated, subject };
    } else if (r.accept("like")) {
      subject = { kind: "like", negated: false, subject, pattern: compareExpr(r) };
    } else if (r.peek().type === "ident" && r.peek().text.toLowerCase() === "not") {
      r.next();
      r.expect("like");
      subject = { kind: "like", negated: true, subject, pattern: compareExpr(r) };
    } else {
      return subject;
    }
  }
}

function compareExpr(r: TokenReader): SoqlExpr {
  let left = atom(r);
  for (;;) {
    const token = r.peek();
    const op = token.type === "op" ? COMPARE[token.text] : undefined;
    if (!op) return left;
    r.next();
    left = { kind: "compare", op, left, right: atom(r) };
  }
}

/** A primary expression followed by any number of `::type` casts. */
function atom(r: TokenReader): SoqlExpr {
  let expr = primary(r);
  while (r.accept("::")) {
    const token = r.peek();
    const name = r.identifier().toLowerCase();
    const to = CAST_TYPES.find((t) => t === name);
    // Socrata resolves a cast as a function named after the type, so an unknown type is an unknown function.
    if (!to) throw new SoqlError("query.soql.no-such-function", `No such function '::${token.text}'; arity=1`, { function: `::${token.text}` });
    expr = { kind: "cast", to, operand: expr };
  }
  return expr;
}

function primary(r: TokenReader): SoqlExpr {
  const token = r.peek();
  if (token.type === "string") return (r.next(), { kind: "string", value: token.value });
  if (token.type === "number") return (r.next(), { kind: "number", value: Number(token.text), text: token.text });
  if (r.accept("(")) {
    const inner = orExpr(r);
    r.expect(")");
    return inner;
  }
  if (r.accept("null")) return { kind: "null" };
  if (r.accept("true")) return { kind: "boolean", value: true };
  if (r.accept("false")) return { kind: "boolean", value: false };
  if (token.type !== "ident" || KEYWORDS.has(token.text.toLowerCase())) r.fail("an expression");
  const name = r.identifier();
  if (!r.accept("(")) return { kind: "column", name };
  const args: SoqlExpr[] = [];
  if (!r.accept(")")) {
    do args.push(orExpr(r));
    while (r.accept(","));
    r.expect(")");
  }
  return { kind: "call", fn: name.toLowerCase(), args };
}
