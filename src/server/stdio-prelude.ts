/**
 * The stdio server's first moments: an MCP client starts this process at
 * every launch and waits for its answer to `initialize`, while the MCP SDK,
 * the ledger and the providers take several times node's own start to load.
 *
 * So stdin is read from the first line of the program on. An `initialize`
 * that is plainly valid (below) is answered at once, from the same values
 * the SDK's Server is built from (./server-info.ts); everything read is kept.
 * Once the server is up, serveStdio takes what was kept and feeds all of it,
 * that `initialize` too, to the SDK as if it had just arrived: the SDK sets
 * itself up from the client's request as ever, and its own answer to a
 * request answered here is not sent again (it is compared with the early
 * one; a difference is logged as the bug it would be).
 *
 * Anything else waits for the SDK: an `initialize` with anything this
 * module does not check as the SDK would (`_meta`, a task capability,
 * unknown fields), a first line that is not an `initialize`, a line too long.
 * A start that fails after the early answer ends the process as it would
 * have (its message on stderr, its exit code): the client sees it go.
 */
import { negotiatedVersion, INSTRUCTIONS, SERVER_INFO, serverCapabilities } from "./server-info.js";

/** The longest first line looked at: an `initialize` is a few hundred bytes. */
const MAX_FIRST_LINE = 64 * 1024;
/** What is held while the server loads; past it stdin is paused (the client waits on the pipe, as it did before). */
const MAX_HELD = 1024 * 1024;
const NEWLINE = 0x0a;

type JsonId = string | number;

/** What the prelude read and answered, handed to the server once it is up. */
export interface PreludeHandover {
  /** Every chunk of stdin read so far, in order, the answered request too. */
  chunks: Buffer[];
  /** Whether stdin has ended already (the client went away while the server loaded). */
  ended: boolean;
  /** The requests answered early, by id, with the result sent. */
  answered: Map<JsonId, unknown>;
}

export interface StdioPrelude {
  /** Stops reading and hands over what was read (once; later calls get null). */
  take(): PreludeHandover | null;
  /** Stops reading and lets go of stdin: the server never came up (a failed start, --help). */
  release(): void;
}

let current: StdioPrelude | undefined;

/** The prelude started in this process, if any: serveStdio takes it over. */
export function takeStdioPrelude(): PreludeHandover | null {
  return current?.take() ?? null;
}

/** Starts reading stdin and answering a plain `initialize`; the process's only prelude. */
export function startStdioPrelude(): StdioPrelude {
  const chunks: Buffer[] = [];
  const answered = new Map<JsonId, unknown>();
  let ended = false;
  let looking = true;
  let seen = 0;
  const stop = () => {
    process.stdin.off("data", onData);
    process.stdin.off("end", onEnd);
  };
  let paused = false;
  function onData(chunk: Buffer): void {
    chunks.push(chunk);
    seen += chunk.length;
    if (seen > MAX_HELD && !paused) {
      paused = true;
      process.stdin.pause();
    }
    if (!looking) return;
    const first = firstLine(chunks);
    if (first === null) {
      looking = seen <= MAX_FIRST_LINE;
      return;
    }
    looking = false;
    const request = plainInitialize(first);
    if (!request) return;
    const result = {
      protocolVersion: negotiatedVersion(request.protocolVersion),
      capabilities: serverCapabilities(true),
      serverInfo: SERVER_INFO,
      instructions: INSTRUCTIONS,
    };
    answered.set(request.id, result);
    // The key order the SDK writes its responses in.
    process.stdout.write(JSON.stringify({ result, jsonrpc: "2.0", id: request.id }) + "\n");
  }
  function onEnd(): void {
    ended = true;
  }
  process.stdin.on("data", onData);
  process.stdin.once("end", onEnd);
  let taken = false;
  current = {
    take() {
      if (taken) return null;
      taken = true;
      stop();
      // Data flows again from the next tick on, to the listener the server attaches now.
      if (paused) process.stdin.resume();
      return { chunks, ended, answered };
    },
    release() {
      if (taken) return;
      taken = true;
      stop();
      process.stdin.destroy();
    },
  };
  return current;
}

/** The first line of what was read, when a whole one is there and short enough to look at. */
function firstLine(chunks: Buffer[]): string | null {
  const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const end = all.indexOf(NEWLINE);
  if (end < 0 || end > MAX_FIRST_LINE) return null;
  return all.subarray(0, end).toString("utf8");
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const onlyKeys = (value: Json, allowed: readonly string[]) => Object.keys(value).every((key) => allowed.includes(key));
const objectOrAbsent = (value: unknown) => value === undefined || isObject(value);

/**
 * The request, when `line` is an `initialize` the SDK would surely accept:
 * checked field by field as strictly as the SDK's schema, or more (what is
 * not checked here is left to the SDK, so no early answer can be one the SDK
 * would have refused).
 */
export function plainInitialize(line: string): { id: JsonId; protocolVersion: string } | null {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(message) || !onlyKeys(message, ["jsonrpc", "id", "method", "params"])) return null;
  const { id, params } = message;
  if (message.jsonrpc !== "2.0" || message.method !== "initialize") return null;
  if (!(typeof id === "string" || Number.isSafeInteger(id))) return null;
  if (!isObject(params) || !onlyKeys(params, ["protocolVersion", "capabilities", "clientInfo"])) return null;
  const { protocolVersion, capabilities, clientInfo } = params;
  if (typeof protocolVersion !== "string" || !plainClientInfo(clientInfo) || !plainCapabilities(capabilities)) return null;
  return { id: id as JsonId, protocolVersion };
}

function plainClientInfo(info: unknown): boolean {
  if (!isObject(info) || !onlyKeys(info, ["name", "version", "title", "websiteUrl", "description"])) return false;
  return typeof info.name === "string" && typeof info.version === "string" && Object.values(info).every((value) => typeof value === "string");
}

/** Capabilities as common clients send them: roots, sampling, elicitation, experimental, each in its plain form. */
function plainCapabilities(capabilities: unknown): boolean {
  if (!isObject(capabilities) || !onlyKeys(capabilities, ["roots", "sampling", "elicitation", "experimental"])) return false;
  const { roots, sampling, elicitation, experimental } = capabilities;
  if (roots !== undefined && !(isObject(roots) && onlyKeys(roots, ["listChanged"]) && ["boolean", "undefined"].includes(typeof roots.listChanged))) {
    return false;
  }
  if (sampling !== undefined && !(isObject(sampling) && onlyKeys(sampling, ["context", "tools"]) && Object.values(sampling).every(isObject))) {
    return false;
  }
  if (elicitation !== undefined) {
    if (!isObject(elicitation) || !onlyKeys(elicitation, ["form", "url"]) || !objectOrAbsent(elicitation.url)) return false;
    const form = elicitation.form;
    if (!objectOrAbsent(form) || (isObject(form) && !onlyKeys(form, ["applyDefaults"]))) return false;
    if (isObject(form) && !["boolean", "undefined"].includes(typeof form.applyDefaults)) return false;
  }
  return experimental === undefined || (isObject(experimental) && Object.values(experimental).every(isObject));
}
