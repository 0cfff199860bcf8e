/**
 * Logging to stderr only: in stdio mode stdout carries the MCP protocol.
 *
 * Lines are written by pino: one JSON object per line (`level`, `time`,
 * `pid`, `msg`, then the caller's fields) when stderr is not a terminal, so
 * a log collector reads them as they are; on a terminal the same lines are
 * shown as readable text (log-text.ts). Every line is redacted before it is
 * written: the message and every string among the fields, however deep, so
 * a credential inside an error text never reaches a log.
 *
 * pino loads when a logger writes its first line, not when this module is
 * imported or a logger is made: a verb that logs nothing never loads it.
 *
 * The lines about a tool call name what it came through (the API key or
 * OAuth connection): the call's own lines carry channelFields, and a task's
 * run, which goes on after its request, is run inside withLogFields so that
 * every line written meanwhile carries them, whichever module logs.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import type pinoModule from "pino";
import type { LogFormat, LogLevel } from "./config-telemetry.js";
import { redact } from "./redact.js";
import { formatText } from "./log-text.js";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** `json`, `text`, or `auto` (the default): text on a terminal, JSON lines otherwise. */
  format?: LogFormat;
  /** Where each finished line goes (default: stderr). */
  write?: (line: string) => void;
  /** Whether the destination is a terminal, for `auto` (default: whether stderr is one). */
  terminal?: boolean;
  /** Fields added to every line (the active trace and span, when tracing is on). */
  context?: () => Record<string, string> | undefined;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** How deep a field's objects are followed; deeper values are summarised. */
const MAX_DEPTH = 6;

/** The fields as they may be written: strings redacted, bigints exact as text, errors as their message. */
function clean(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redact(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[nested too deep]";
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = clean(item, depth + 1);
  return out;
}

type Pino = typeof pinoModule;
let pino: Pino | undefined;

/** The API key or OAuth connection a call came through, as log fields (`connection_id` or `api_key_id`; none over stdio). */
export function channelFields(channel: { connectionId: string | null; apiKeyId: string | null } | undefined): Record<string, string> {
  return channel?.connectionId ? { connection_id: channel.connectionId } : channel?.apiKeyId ? { api_key_id: channel.apiKeyId } : {};
}

const scoped = new AsyncLocalStorage<Record<string, string>>();
/** Runs of withLogFields not yet over. */
let open = 0;

/**
 * Runs `run` with `fields` added to every line any logger writes inside it
 * (and in what it starts), until what it returns settles. The storage this
 * takes makes every promise of the process dearer (Node 20 tracks them all
 * while any such run is going on), so it is turned off again once the last
 * run is over: meant for long background work, such as a task's run.
 */
export function withLogFields<T>(fields: Record<string, string>, run: () => T): T {
  open++;
  let result: T;
  try {
    result = scoped.run(fields, run);
  } catch (error) {
    closeRun();
    throw error;
  }
  if (result instanceof Promise) void result.then(closeRun, closeRun);
  else closeRun();
  return result;
}

function closeRun(): void {
  // Not at once: what was waiting for the run (its end, logged by whoever started it) still logs with its fields.
  if (--open === 0) setImmediate(() => open === 0 && scoped.disable());
}

/** A logger writing one line per event, dropping events below `level`. A function as the second argument is `options.write`. */
export function createLogger(level: LogLevel, given: LoggerOptions | ((line: string) => void) = {}): Logger {
  const options: LoggerOptions = typeof given === "function" ? { write: given } : given;
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const terminal = options.terminal ?? process.stderr.isTTY === true;
  const text = options.format === "text" || ((options.format ?? "auto") === "auto" && terminal);
  let lines: pinoModule.Logger | undefined;
  const open = (): pinoModule.Logger => {
    pino ??= createRequire(import.meta.url)("pino") as Pino;
    return pino(
      {
        level,
        base: { pid: process.pid },
        messageKey: "msg",
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => ({ ...scoped.getStore(), ...options.context?.() }),
      },
      { write: text ? (line: string) => write(formatText(line)) : write },
    );
  };
  const at = (eventLevel: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (SEVERITY[eventLevel] < SEVERITY[level]) return;
    (lines ??= open())[eventLevel](fields ? (clean(fields, 0) as Record<string, unknown>) : {}, redact(message));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
