/**
 * An MCP client's configuration file, edited the way its owner would edit
 * it by hand. VS Code's mcp.json (and others) is JSONC: comments, trailing
 * commas and a byte-order mark are read, not refused. Only our server's
 * entry is written (`jsonc-parser`'s modify, formatted within the inserted
 * text alone), so every comment, every other field and its formatting, and
 * numbers no float can hold, stay byte for byte. A file that is a symbolic
 * link is written through the link: the link stays a link.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { applyEdits, findNodeAtLocation, format, modify, parse, parseTree, printParseErrorCode, type FormattingOptions, type ParseError } from "jsonc-parser";
import { ConfigError } from "../errors.js";

const BOM = "\uFEFF";

export interface ClientConfigFile {
  /** The path the client reads (perhaps a symbolic link). */
  path: string;
  /** The file actually written: the link's target, or the path itself. */
  target: string;
  /** The text without its byte-order mark. */
  text: string;
  bom: boolean;
  value: Record<string, unknown>;
}

/** Where writing `path` must land: through a symbolic link (even a dangling one) to its target. */
function targetOf(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  try {
    if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
  } catch {
    // Nothing there: the path itself.
  }
  return path;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Reads a client's config (absent or empty: `{}`); a file that is not JSON(C) or not an object is refused with where it went wrong. */
export function readClientConfig(path: string): ClientConfigFile {
  const target = targetOf(path);
  const raw = existsSync(target) ? readFileSync(target, "utf8") : "";
  const bom = raw.startsWith(BOM);
  const text = bom ? raw.slice(1) : raw;
  if (text.trim() === "") return { path, target, text, bom, value: {} };
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false }) as unknown;
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = text.slice(0, first.offset).split("\n");
    throw new ConfigError(
      `${path} is not valid JSON (comments and trailing commas are fine): ${printParseErrorCode(first.error)} at line ${before.length}, ` +
        `column ${before.at(-1)!.length + 1}; fix it first`,
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new ConfigError(`${path} is ${kindOf(value)}, not a JSON object; fix or move it first`);
  return { path, target, text, bom, value: value as Record<string, unknown> };
}

/** Refuses a server list that is not an object: writing into it would destroy what is there. */
export function checkServerList(file: ClientConfigFile, listKey: string): void {
  const list = file.value[listKey];
  if (list !== undefined && (list === null || typeof list !== "object" || Array.isArray(list))) {
    throw new ConfigError(
      `${file.path}: "${listKey}" is ${kindOf(list)}, not an object of servers; fix it by hand (it should be {"name": {...}}), then run this again`,
    );
  }
}

/** The file's own indentation unit and line ends, so what we add looks like what is there. */
function styleOf(text: string): { unit: string; eol: string; options: FormattingOptions } {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? "  ";
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  if (indent.startsWith("\t")) return { unit: "\t", eol, options: { insertSpaces: false, tabSize: 4, eol } };
  const size = Math.min(indent.length, 8);
  return { unit: " ".repeat(size), eol, options: { insertSpaces: true, tabSize: size, eol } };
}

/** The last property's line ends here: after its value, an optional (trailing) comma, and a comment on the same line. */
const LINE_REST = /^([ \t]*)(,?)([ \t]*(?:\/\/[^\r\n]*|\/\*[^\r\n]*?\*\/)?[ \t]*)(?=\r?\n)/;

/**
 * A new last property of an object whose properties stand one per line: put
 * on a line of its own after the last one's line (its comma and comment stay
 * where they are), indented like it, with a trailing comma if it had one.
 * Null when the object is written some other way (empty, or on one line).
 */
function appendOnOwnLine(file: ClientConfigFile, path: string[], value: unknown): string | null {
  const object = findNodeAtLocation(parseTree(file.text)!, path.slice(0, -1));
  const last = object?.type === "object" ? object.children?.at(-1) : undefined;
  if (!last) return null;
  const lineStart = file.text.lastIndexOf("\n", last.offset) + 1;
  const indent = file.text.slice(lineStart, last.offset);
  const end = last.offset + last.length;
  const rest = LINE_REST.exec(file.text.slice(end));
  if (!/^[ \t]*$/.test(indent) || !rest) return null;
  const { unit, eol } = styleOf(file.text);
  const body = JSON.stringify(value, null, unit)
    .split("\n")
    .join(eol + indent);
  const [whole, , comma] = rest;
  const entry = `${eol}${indent}${JSON.stringify(path.at(-1))}: ${body}${comma ? "," : ""}`;
  const lineEnd = end + whole.length;
  return comma
    ? file.text.slice(0, lineEnd) + entry + file.text.slice(lineEnd)
    : file.text.slice(0, end) + "," + file.text.slice(end, lineEnd) + entry + file.text.slice(lineEnd);
}

/** The file's text with `value` at `path` (added or replaced); nothing else changes. */
export function withValue(file: ClientConfigFile, path: string[], value: unknown): string {
  if (file.text.trim() === "")
    return (
      JSON.stringify(
        path.reduceRight((inner, key) => ({ [key]: inner }), value),
        null,
        2,
      ) + "\n"
    );
  const exists = findNodeAtLocation(parseTree(file.text)!, path) !== undefined;
  if (!exists) {
    const appended = appendOnOwnLine(file, path, value);
    if (appended !== null) return appended;
  }
  const edits = modify(file.text, path, value, {});
  const next = applyEdits(file.text, edits);
  // Formatting is kept to the text just inserted: the lines around it stay as their owner wrote them.
  const start = Math.min(...edits.map((e) => e.offset));
  const end = Math.max(...edits.map((e) => e.offset + e.content.length));
  const tidy = format(next, { offset: start, length: end - start }, styleOf(file.text).options).filter((e) => e.offset >= start && e.offset + e.length <= end);
  return applyEdits(next, tidy);
}

/** Writes the new text (with the byte-order mark it had) atomically through any link; the old file is kept as a backup beside the path. */
export function writeClientConfig(file: ClientConfigFile, text: string): string | null {
  mkdirSync(dirname(file.target), { recursive: true });
  let backup: string | null = null;
  let mode = 0o600;
  if (existsSync(file.target)) {
    backup = `${file.path}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    copyFileSync(file.target, backup);
    mode = statSync(file.target).mode & 0o777;
  }
  const temporary = `${file.target}.tmp-${process.pid}`;
  writeFileSync(temporary, (file.bom ? BOM : "") + text, { mode });
  renameSync(temporary, file.target);
  return backup;
}
