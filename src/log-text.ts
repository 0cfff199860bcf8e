/**
 * The readable form of a log line, for a person at a terminal:
 * `2026-05-01T12:00:00.000Z warn message key="value" n=3`, from the JSON line
 * pino wrote (the same fields, already redacted). A few lines of our own
 * instead of pino-pretty, which would add a dependency tree and a worker
 * thread for what is one line of formatting.
 */

/** Fields every JSON line carries that the text form shows in its own places, or leaves out. */
const OWN = new Set(["level", "time", "msg", "pid"]);

/** `time level message key=value…` from one JSON log line (a line that is not JSON is passed on as it is). */
export function formatText(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !OWN.has(key))
    .map(([key, value]) => ` ${key}=${JSON.stringify(value)}`)
    .join("");
  return `${String(entry.time)} ${String(entry.level)} ${String(entry.msg)}${fields}\n`;
}
