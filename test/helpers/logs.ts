/**
 * A server's log as a test reads it: stderr is a pipe in tests, so each line
 * is one JSON object (`level`, `time`, `pid`, `msg` and the event's fields).
 */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** Every JSON log line in `stderr` (lines that are not JSON, such as a CLI's own messages, are left out). */
export function logLines(stderr: string): LogLine[] {
  return stderr.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** The first log line whose message matches. */
export function logLine(stderr: string, msg: string | RegExp): LogLine | undefined {
  return logLines(stderr).find((line) => (typeof msg === "string" ? line.msg === msg : msg.test(line.msg)));
}
