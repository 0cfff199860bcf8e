/** Human tables and machine JSON: the CLI's two ways of answering. */
import { createRequire } from "node:module";
import type TableType from "cli-table3";

export interface OutputOptions {
  json?: boolean;
}

type Cell = string | number | null | undefined;

// cli-table3 loads on the first table, not with every verb's module (`--help` and JSON answers need none).
let Table: typeof TableType | undefined;
const tableClass = () => (Table ??= createRequire(import.meta.url)("cli-table3") as typeof TableType);

/** Prints JSON (bigints as decimal strings never appear: callers convert money first). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** The longest line, and the longest word (what wrapping cannot split), of a cell. */
const longestLine = (text: string) => Math.max(0, ...text.split("\n").map((l) => l.length));
const longestWord = (text: string) => Math.max(0, ...text.split(/\s+/).map((w) => w.length));

/**
 * A table as text. With `fit`, the text columns named in `wrap` are narrowed,
 * the widest first, and wrap between words until the table fits `maxWidth`;
 * a word is never cut, so a table whose numbers and longest words cannot fit
 * stays wider.
 */
export function tableText(head: string[], rows: Cell[][], fit?: { maxWidth: number; wrap: number[] }): string {
  const cells = rows.map((row) => head.map((_, i) => (row[i] === null || row[i] === undefined ? "" : String(row[i]))));
  const options: TableType.TableConstructorOptions = { head, style: { head: [], border: [], compact: true } };
  if (fit) {
    // A column is its content plus a space of padding each side; the table draws one border per column, plus one.
    const column = (i: number) => [head[i]!, ...cells.map((row) => row[i]!)];
    const widths = head.map((_, i) => Math.max(...column(i).map(longestLine)) + 2);
    const floors = head.map((_, i) => Math.max(...column(i).map(longestWord)) + 2);
    const total = () => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
    while (total() > fit.maxWidth) {
      const narrowable = fit.wrap.filter((i) => widths[i]! > floors[i]!);
      if (narrowable.length === 0) break;
      const widest = narrowable.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
      widths[widest]! -= 1;
    }
    Object.assign(options, { colWidths: widths, wordWrap: true, wrapOnWordBoundary: true });
  }
  const table = new (tableClass())(options);
  for (const row of cells) table.push(row);
  return table.toString();
}

export function printTable(head: string[], rows: Cell[][]): void {
  console.log(tableText(head, rows));
}

/** Answers with JSON when asked, otherwise with a table. */
export function respond(options: OutputOptions, json: unknown, head: string[], rows: Cell[][]): void {
  if (options.json) printJson(json);
  else printTable(head, rows);
}

/**
 * A list: JSON when asked (an empty array when empty), otherwise a table, or,
 * when there is nothing to list, a sentence saying so and how to add one.
 */
export function respondList(options: OutputOptions, json: unknown[], head: string[], rows: Cell[][], empty: string): void {
  if (options.json) printJson(json);
  else if (rows.length === 0) console.log(empty);
  else printTable(head, rows);
}

/** The line a writing verb ends with: which ledger it wrote to (a file, or the database URL without its password). */
export function wroteTo(options: OutputOptions, location: string): void {
  const store = /^postgres(ql)?:/.test(location) ? "PostgreSQL database" : "SQLite file";
  if (!options.json) console.log(`Written to the ledger in the ${store} ${location}`);
}

export const isoTime = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : "");
