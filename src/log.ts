/**
 * Logging to stderr only: in stdio mode stdout carries the MCP protocol.
 * Callers pass structured fields; every line is redacted before it is
 * written, so a credential inside an error text never reaches a log.
 */
import type { LogLevel } from "./config.js";
import { redact } from "./redact.js";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function render(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  const parts = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === "bigint" ? value.toString() : JSON.stringify(value)}`);
  return parts.length ? " " + parts.join(" ") : "";
}

/** A logger writing one line per event to stderr, dropping events below `level`. */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (eventLevel: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (SEVERITY[eventLevel] < SEVERITY[level]) return;
    write(redact(`${new Date().toISOString()} ${eventLevel} ${message}${render(fields)}`) + "\n");
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
