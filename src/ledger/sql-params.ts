/**
 * The parameters of a ledger statement, typed. Each statement declares its
 * `@name` parameters with a kind (`p.text`, `p.int`, `p.money`, ...); the
 * kinds give the parameters' TypeScript types, so tsc checks every call that
 * runs the statement (a missing or misspelled parameter, or a value of the
 * wrong type, does not compile). The declaration itself is checked against
 * the SQL: by tsc, which reads the `@names` out of the SQL text where that
 * text is a literal (template-literal types), and at load, for every text.
 * Binding checks each value against its kind once more, at run time, for
 * values that came through a cast.
 */
export type SqlValue = string | number | bigint | null;
/** Parameter values by name, as a script passes them to a statement. */
export type Params = Readonly<Record<string, SqlValue>>;

export type ParamKind = "text" | "int" | "money" | "flag" | "any";

declare const valueType: unique symbol;

/** A parameter's kind: what a value must be (its TypeScript type T), and whether it may be NULL. */
export interface Param<T extends SqlValue = SqlValue> {
  readonly kind: ParamKind;
  readonly nullable: boolean;
  /** Type only: the values the parameter takes. */
  readonly [valueType]?: T;
}

const param = <T extends SqlValue>(kind: ParamKind, nullable: boolean): Param<T> => ({ kind, nullable });

/** The parameter kinds a statement declares its `@names` with. */
export const p = {
  /** Text: ids, names, decimal text (a markup, a price), JSON. */
  text: param<string>("text", false),
  textOrNull: param<string | null>("text", true),
  /** A JS number that is an integer: epoch milliseconds, counts, tokens, a LIMIT. */
  int: param<number>("int", false),
  intOrNull: param<number | null>("int", true),
  /** An amount of money (micro-credits, nano-USD): always a BigInt, never a float. */
  money: param<bigint>("money", false),
  moneyOrNull: param<bigint | null>("money", true),
  /** A 0/1 integer flag. */
  flag: param<0 | 1>("flag", false),
  /** Whatever a column holds, as stored (`ledger copy` moves rows it does not interpret). */
  any: param<SqlValue>("any", true),
} as const;

export type ParamSpec = Readonly<Record<string, Param>>;
/** The values a spec's parameters take. */
export type ParamsOf<S extends ParamSpec> = { readonly [K in keyof S]: S[K] extends Param<infer T> ? T : never };

/** Whether a value is one a parameter of this kind takes (null only where the parameter is nullable). */
export function fitsParam(value: unknown, param: Param): boolean {
  if (value === null) return param.nullable;
  switch (param.kind) {
    case "text":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "money":
      return typeof value === "bigint";
    case "flag":
      return value === 0 || value === 1;
    case "any":
      return typeof value === "string" || typeof value === "number" || typeof value === "bigint";
  }
}

/** The `@names` of a SQL text, in order of first use (what both dialects bind). */
export const sqlParamNames = (sql: string): string[] => [...new Set([...sql.matchAll(/@([A-Za-z_]\w*)/g)].map((m) => m[1]!))];

// The same, for tsc: the @names of a SQL text whose type is a literal (or a template with `${string}` holes).
type Chars<S extends string, Found extends string = never> = S extends `${infer C}${infer Rest}` ? Chars<Rest, Found | C> : Found;
type IdentChar = Chars<"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_">;
type TakeName<S extends string, Name extends string = ""> = S extends `${infer C}${infer Rest}`
  ? C extends IdentChar
    ? TakeName<Rest, `${Name}${C}`>
    : [Name, S]
  : [Name, S];
/** The @names in a SQL text type; `string` when the text is not known to tsc (then only the load-time check applies). */
export type SqlNames<S extends string, Found extends string = never> = string extends S
  ? string
  : S extends `${string}@${infer Rest}`
    ? TakeName<Rest> extends [infer Name extends string, infer After extends string]
      ? SqlNames<After, Found | Name>
      : Found
    : Found;

/** A statement's text: one for both dialects, or one for each. */
export type SqlText = string | { readonly sqlite: string; readonly postgres: string };
export type NamesOfText<S extends SqlText> = S extends string
  ? SqlNames<S>
  : S extends { readonly sqlite: infer A extends string; readonly postgres: infer B extends string }
    ? SqlNames<A> | SqlNames<B>
    : string;

/**
 * A spec checked against its SQL by tsc: every @name declared ("Property 'x'
 * is missing"), nothing declared that the SQL does not use ("... is not
 * assignable to type 'never'").
 */
export type SpecFor<S extends SqlText, Spec extends ParamSpec> =
  string extends NamesOfText<S> ? Spec : { readonly [K in NamesOfText<S>]: Param } & { readonly [K in Exclude<keyof Spec, NamesOfText<S>>]: never };
