/**
 * What stands between stdin and the SDK's stdio transport: it cuts the byte
 * stream into lines itself, so no input can leave the server deaf.
 *
 * The SDK's transport gives up on a message over its 10 MiB read buffer: it
 * throws, closes itself and stops reading, while the process lives on with
 * nobody listening. And a line that is not JSON, or not a JSON-RPC message,
 * goes only to its error hook: the client is never answered. Here each line
 * is checked first; only well-formed messages reach the transport (as the
 * same bytes), and the rest are reported to the caller, which answers them
 * as JSON-RPC errors. A line over the limit is never held in memory: it is
 * scanned as it streams by, for its top-level `id` and `method`, so a request
 * can still be answered.
 */
import { PassThrough } from "node:stream";
import { JSONRPCMessageSchema, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/** The largest message read, in bytes (the SDK transport's own read buffer size). */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export type InputProblem =
  /** A line that is not JSON: answered -32700 with id null. */
  | { kind: "not_json"; bytes: number; reason: string }
  /** JSON that is not a JSON-RPC message: answered -32600 (with its id when it has one). */
  | { kind: "not_jsonrpc"; bytes: number; id: RequestId | null }
  /** A line over MAX_MESSAGE_BYTES: `request` says whether it asked for an answer (a method and an id). */
  | { kind: "oversized"; bytes: number; id: RequestId | null; request: boolean };

const NEWLINE = 0x0a;

/** Splits stdin into lines, forwarding JSON-RPC messages and reporting everything else. */
export class StdioInput {
  /** What the SDK transport reads: whole, well-formed messages, one per line. */
  readonly messages = new PassThrough();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while an oversized line streams by. */
  private oversized: TopLevelScan | null = null;

  constructor(
    private readonly report: (problem: InputProblem) => void,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  /** Takes the next chunk of stdin. */
  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** Stdin ended: a last unterminated line is dropped, as the SDK transport drops it. */
  end(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.oversized = null;
    this.messages.end();
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.oversized) return this.oversized.feed(part);
    if (this.pendingBytes + part.length <= this.maxBytes) {
      this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    // Over the limit: what was kept is scanned and let go, and so is the rest of the line as it comes.
    this.oversized = new TopLevelScan();
    for (const kept of this.pending) this.oversized.feed(kept);
    this.oversized.feed(part);
    this.pending = [];
  }

  private endLine(): void {
    const scan = this.oversized;
    const bytes = scan ? scan.bytes : this.pendingBytes;
    const line = scan ? null : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.oversized = null;
    if (scan) return this.report({ kind: "oversized", bytes, ...scan.verdict() });
    this.check(line!);
  }

  private check(line: Buffer): void {
    const text = line.toString("utf8");
    if (text.trim() === "") return; // a blank line is no message
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return this.report({ kind: "not_json", bytes: line.length, reason: error instanceof Error ? error.message : String(error) });
    }
    if (!JSONRPCMessageSchema.safeParse(parsed).success) return this.report({ kind: "not_jsonrpc", bytes: line.length, id: idOf(parsed) });
    this.messages.write(Buffer.concat([line, Buffer.from([NEWLINE])]));
  }
}

function idOf(value: unknown): RequestId | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_CAPTURE = 256;

/**
 * Reads a JSON object's top-level keys as its bytes stream by, keeping only
 * the raw text of `id` (short) and whether there is a `method`: enough to
 * answer a request without holding it. JSON's structure is ASCII, so bytes
 * are scanned as they are, whatever the encoding of the text inside strings.
 */
class TopLevelScan {
  bytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private readingKey = false;
  private key = "";
  /** The top-level key whose value is being read. */
  private valueOf: string | null = null;
  private capture: string | null = null;
  private idText: string | null = null;
  private hasMethod = false;
  private notObject = false;

  feed(part: Buffer): void {
    this.bytes += part.length;
    for (const byte of part) this.step(byte);
  }

  verdict(): { id: RequestId | null; request: boolean } {
    let id: RequestId | null = null;
    try {
      const parsed = this.idText === null ? null : (JSON.parse(this.idText) as unknown);
      if (typeof parsed === "string" || (typeof parsed === "number" && Number.isFinite(parsed))) id = parsed;
    } catch {
      // A cut-off or odd id: none known.
    }
    return { id, request: id !== null && this.hasMethod };
  }

  private keep(byte: number): void {
    if (this.capture !== null && this.capture.length < MAX_CAPTURE) this.capture += String.fromCharCode(byte);
  }

  private step(byte: number): void {
    if (this.notObject) return;
    if (this.inString) {
      this.keep(byte);
      if (this.readingKey && this.key.length < 16 && byte !== QUOTE) this.key += String.fromCharCode(byte);
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) {
        this.inString = false;
        if (this.readingKey) this.readingKey = false;
      }
      return;
    }
    const char = String.fromCharCode(byte);
    if (this.depth === 0) {
      if (char === "{") [this.depth, this.expectKey] = [1, true];
      else if (!/\s/.test(char)) this.notObject = true;
      return;
    }
    if (this.depth === 1) {
      if (char === '"' && this.expectKey) [this.inString, this.readingKey, this.key, this.expectKey] = [true, true, "", false];
      else if (char === ":" && this.valueOf === null) this.startValue();
      else if (char === "," || char === "}") {
        this.endValue();
        if (char === "}") this.depth = 0;
        else this.expectKey = true;
      } else {
        this.keep(byte);
        if (char === '"') this.inString = true;
        else if (char === "{" || char === "[") this.depth++;
      }
      return;
    }
    this.keep(byte);
    if (char === '"') this.inString = true;
    else if (char === "{" || char === "[") this.depth++;
    else if (char === "}" || char === "]") this.depth--;
  }

  private startValue(): void {
    this.valueOf = this.key;
    if (this.key === "id") this.capture = "";
    if (this.key === "method") this.hasMethod = true;
  }

  private endValue(): void {
    if (this.valueOf === "id" && this.capture !== null) this.idText = this.capture.trim();
    this.capture = null;
    this.valueOf = null;
  }
}
