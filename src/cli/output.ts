/** Human tables and machine JSON: the CLI's two ways of answering. */
import Table from "cli-table3";

export interface OutputOptions {
  json?: boolean;
}

/** Prints JSON (bigints as decimal strings never appear: callers convert money first). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  console.log(table.toString());
}

/** Answers with JSON when asked, otherwise with a table. */
export function respond(options: OutputOptions, json: unknown, head: string[], rows: (string | number | null | undefined)[][]): void {
  if (options.json) printJson(json);
  else printTable(head, rows);
}

export const isoTime = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : "");
