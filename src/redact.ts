/**
 * Redaction of credentials from every message that leaves the process or is
 * stored: tool results, HTTP error bodies, CLI errors, log lines and the
 * error text kept on a tool call. A provider (or a proxy in front of it) may
 * echo the request's credentials in an error body; nothing of the kind may
 * reach a tenant, a log file or the ledger.
 *
 * Two nets: the configured secrets themselves (provider keys, the Socrata
 * app token, operator tokens), registered once at start-up, and patterns for
 * anything shaped like a bearer token or an API key.
 */

export const REDACTED = "[redacted]";

/** Shorter values are too likely to be ordinary words to be replaced everywhere. */
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();

const SHAPES: [RegExp, string][] = [
  // Authorization header values, however they are echoed (a credential has a digit somewhere; prose does not).
  [/\b(Bearer|Basic)(\s+|%20)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  // Key formats of the providers this server talks to, and its own API keys.
  [/\bsk-[A-Za-z0-9][A-Za-z0-9_-]{12,}/g, REDACTED],
  [/\bapify_api_[A-Za-z0-9]{8,}/g, REDACTED],
  [/\becn_sk_[A-Za-z0-9_-]{8,}/g, REDACTED],
  // name=value and "name": "value" pairs whose name says they hold a credential.
  [
    /((?:api[_-]?key|api[_-]?token|app[_-]?token|access[_-]?token|auth[_-]?token|token|secret|password|x-app-token)["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}]{6,}/gi,
    `$1${REDACTED}`,
  ],
];

/** Registers values that must never appear in a message (empty and undefined values are ignored). */
export function registerSecrets(...values: (string | undefined | null)[]): void {
  for (const value of values) if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** The text with every registered secret and every credential-shaped token replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}
