/**
 * The stdio server's first moments: an MCP client starts this process at
 * every launch and waits for its answer to `initialize`, then lists the
 * tools, while the MCP SDK, the ledger and the providers take several times
 * node's own start to load.
 *
 * So stdin is read from the first line of the program on. An `initialize`
 * that is plainly valid (below) is answered at once, from the same values
 * the SDK's Server is built from (./server-info.ts), and so is a plain
 * `tools/list` right after it (past `notifications/initialized`), from the
 * list the build wrote beside this module (scripts/tool-listing.mjs).
 * Everything read is kept. Once the server is up, serveStdio takes what was
 * kept and feeds all of it, those requests too, to the SDK as if it had just
 * arrived: the SDK sets itself up from the client's requests as ever, and
 * its own answer to a request answered here is not sent again (it is
 * compared with the early one; a difference is logged as the bug it would be).
 *
 * Anything else waits for the SDK: an `initialize` with anything this
 * module does not check as the SDK would (`_meta`, a task capability,
 * unknown fields), a `tools/list` with a cursor, any other first request, a
 * line too long, and everything after. A start that fails after an early
 * answer ends the process as it would have (its message on stderr, its exit
 * code): the client sees it go.
 */
import { readFileSync } from "node:fs";
import { negotiatedVersion, INSTRUCTIONS, SERVER_INFO, serverCapabilities } from "./server-info.js";

/** The longest line looked at: an `initialize` or a `tools/list` is a few hundred bytes. */
const MAX_LINE = 64 * 1024;
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

/** Starts reading stdin and answering a plain `initialize` (and the `tools/list` after it); the process's only prelude. */
export function startStdioPrelude(): StdioPrelude {
  const chunks: Buffer[] = [];
  const answered = new Map<JsonId, unknown>();
  let ended = false;
  let seen = 0;
  let paused = false;
  /** The start of stdin not yet split into lines, while it is looked at (until a line is left to the server). */
  let looking: Buffer | null = Buffer.alloc(0);
  let next: "initialize" | "tools/list" = "initialize";
  const answer = (id: JsonId, result: unknown) => {
    answered.set(id, result);
    // The key order the SDK writes its responses in.
    process.stdout.write(JSON.stringify({ result, jsonrpc: "2.0", id }) + "\n");
  };
  /** Answers `line` when it can; whether the lines after it are still looked at. */
  const look = (line: string): boolean => {
    const message = parse(line);
    if (next === "initialize") {
      const request = plainInitialize(message);
      if (!request) return false;
      answer(request.id, {
        protocolVersion: negotiatedVersion(request.protocolVersion),
        capabilities: serverCapabilities(true), // the stdio server always runs tasks (its App has them)
        serverInfo: SERVER_INFO,
        instructions: INSTRUCTIONS,
      });
      next = "tools/list";
      return true;
    }
    if (plainEnvelope(message, "notifications/initialized") && message.id === undefined && message.params === undefined) return true;
    const id = plainToolsList(message);
    const tools = id === null || answered.has(id) ? null : toolList();
    if (id !== null && tools !== null) answer(id, tools);
    return false;
  };
  function onData(chunk: Buffer): void {
    chunks.push(chunk);
    seen += chunk.length;
    if (seen > MAX_HELD && !paused) {
      paused = true;
      process.stdin.pause();
    }
    if (!looking) return;
    let rest: Buffer | null = looking.length === 0 ? chunk : Buffer.concat([looking, chunk]);
    for (let end = rest.indexOf(NEWLINE); rest && end >= 0; end = rest?.indexOf(NEWLINE) ?? -1) {
      rest = end <= MAX_LINE && look(rest.subarray(0, end).toString("utf8")) ? rest.subarray(end + 1) : null;
    }
    looking = rest && rest.length <= MAX_LINE ? rest : null;
  }
  function onEnd(): void {
    ended = true;
  }
  const stop = () => {
    process.stdin.off("data", onData);
    process.stdin.off("end", onEnd);
  };
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

/** The tools/list answer the build wrote beside this module (scripts/tool-listing.mjs); null when it is not there. */
function toolList(): unknown {
  try {
    return JSON.parse(readFileSync(new URL("./tool-listing.json", import.meta.url), "utf8")) as unknown;
  } catch {
    return null;
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const onlyKeys = (value: Json, allowed: readonly string[]) => Object.keys(value).every((key) => allowed.includes(key));
const objectOrAbsent = (value: unknown) => value === undefined || isObject(value);

/**
 * The request, when `message` is an `initialize` the SDK would surely accept:
 * checked field by field as strictly as the SDK's schema, or more (what is
 * not checked here is left to the SDK, so no early answer can be one the SDK
 * would have refused).
 */
export function plainInitialize(message: unknown): { id: JsonId; protocolVersion: string } | null {
  if (!plainEnvelope(message, "initialize")) return null;
  const { id, params } = message;
  if (!isId(id) || !isObject(params) || !onlyKeys(params, ["protocolVersion", "capabilities", "clientInfo"])) return null;
  const { protocolVersion, capabilities, clientInfo } = params;
  if (typeof protocolVersion !== "string" || !plainClientInfo(clientInfo) || !plainCapabilities(capabilities)) return null;
  return { id, protocolVersion };
}

/** The id of a `tools/list` asking for the whole list and nothing else (no cursor, no _meta); null for anything else. */
export function plainToolsList(message: unknown): JsonId | null {
  if (!plainEnvelope(message, "tools/list") || !isId(message.id)) return null;
  const { params } = message;
  return params === undefined || (isObject(params) && Object.keys(params).length === 0) ? message.id : null;
}

/** A JSON-RPC 2.0 message with this method and no field beyond the protocol's. */
function plainEnvelope(message: unknown, method: string): message is Json {
  return isObject(message) && onlyKeys(message, ["jsonrpc", "id", "method", "params"]) && message.jsonrpc === "2.0" && message.method === method;
}

const isId = (id: unknown): id is JsonId => typeof id === "string" || Number.isSafeInteger(id);

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
