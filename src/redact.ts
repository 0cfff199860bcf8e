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
 *
 * A configured secret is found in whatever form an echo may take: as it is,
 * without its `sk-or-v1-`-style prefix, hex-encoded (either case), in
 * base64 or base64url (also inside a longer value such as base64 of
 * `user:key`), percent-encoded, or broken up by whitespace, a line break,
 * a zero-width character or a JSON escape. Matching runs on a normalised view
 * of the text (those breaks removed, percent and JSON escapes decoded) that
 * remembers where each character came from, so what is replaced is exactly
 * the original span; an encoded match takes the whole encoded token with it.
 */

export const REDACTED = "[redacted]";

/** Shorter values are too likely to be ordinary words to be replaced everywhere. */
const MIN_SECRET_LENGTH = 6;
/** A key's body without its prefix is searched for on its own when it is at least this long. */
const MIN_BODY_LENGTH = 16;
/** Shorter base64 fragments could turn up in ordinary text. */
const MIN_BASE64_CORE = 10;

type Form = "plain" | "hex" | "base64";
interface Needle {
  text: string;
  form: Form;
}

const secrets = new Map<string, Needle[]>();

const SHAPES: [RegExp, string][] = [
  // Authorization header values, however they are echoed (a credential has a digit somewhere; prose does not).
  [/\b(Bearer|Basic)(\s+|%20)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  // Key formats of the providers this server talks to, and its own API keys.
  [/\bsk-[A-Za-z0-9][A-Za-z0-9_-]{12,}/g, REDACTED],
  [/\bapify_api_[A-Za-z0-9]{8,}/g, REDACTED],
  [/\becn_sk_[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Stripe's secret and restricted keys, and webhook signing secrets (Stripe's and our endpoints').
  [/\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g, REDACTED],
  [/\bwhsec_[A-Za-z0-9+/=]{8,}/g, REDACTED],
  // name=value and "name": "value" pairs whose name says they hold a credential.
  [
    /((?:api[_-]?key|api[_-]?token|app[_-]?token|access[_-]?token|auth[_-]?token|token|secret|password|x-app-token)["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}]{6,}/gi,
    `$1${REDACTED}`,
  ],
];

/** The value, and its body after the last `-` or `_` (a key without its `sk-or-v1-` or `apify_api_` prefix) when that is long enough. */
function bodiesOf(secret: string): string[] {
  const cut = Math.max(secret.lastIndexOf("-"), secret.lastIndexOf("_"));
  const body = secret.slice(cut + 1);
  return cut >= 0 && body.length >= MIN_BODY_LENGTH ? [secret, body] : [secret];
}

/**
 * The base64 characters that encode `value` whatever precedes it: for each of
 * the three byte alignments, the characters made of the value's bits alone.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const core = encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
    if (core.length >= MIN_BASE64_CORE) cores.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return cores;
}

function needlesOf(secret: string): Needle[] {
  const needles: Needle[] = [];
  for (const body of bodiesOf(secret)) {
    needles.push({ text: body, form: "plain" }, { text: Buffer.from(body, "utf8").toString("hex"), form: "hex" });
    for (const core of base64Cores(body)) needles.push({ text: core, form: "base64" });
  }
  return needles;
}

/** Registers values that must never appear in a message (empty and undefined values are ignored). */
export function registerSecrets(...values: (string | undefined | null)[]): void {
  for (const value of values) if (value && value.length >= MIN_SECRET_LENGTH && !secrets.has(value)) secrets.set(value, needlesOf(value));
}

/** Invisible code points (ranges, inclusive) besides whitespace: soft hyphen, joiners, zero-width and bidi marks, variation selectors, fillers. */
const INVISIBLE_RANGES: [number, number][] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/** Characters an echo may slip into a secret without changing what a reader copies: whitespace, line breaks, zero-width and bidi marks. */
function invisible(char: string): boolean {
  if (/\s/.test(char)) return true;
  const code = char.charCodeAt(0);
  return INVISIBLE_RANGES.some(([low, high]) => code >= low && code <= high);
}
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** The text with invisible characters dropped and percent and JSON escapes decoded; `from[i]`/`to[i]` is where view character i came from. */
interface View {
  text: string;
  from: number[];
  to: number[];
}

function normalise(text: string): View {
  const chars: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < text.length;) {
    let char = text[i]!;
    let next = i + 1;
    if (char === "%" && HEX2.test(text.slice(i + 1, i + 3))) {
      const code = parseInt(text.slice(i + 1, i + 3), 16);
      if (code < 0x80) [char, next] = [String.fromCharCode(code), i + 3];
    } else if (char === "\\") {
      const escape = text[i + 1];
      if (escape === "n" || escape === "r" || escape === "t") [char, next] = [" ", i + 2];
      else if (escape === "u" && HEX4.test(text.slice(i + 2, i + 6))) [char, next] = [String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)), i + 6];
    }
    if (!invisible(char)) {
      chars.push(char);
      from.push(i);
      to.push(next);
    }
    i = next;
  }
  return { text: chars.join(""), from, to };
}

const TOKEN_CHAR = /[A-Za-z0-9+/=_%-]/;

/** Widens an encoded match to the whole token around it (base64 of `user:key` goes entirely). */
function widen(text: string, start: number, end: number): [number, number] {
  while (start > 0 && TOKEN_CHAR.test(text[start - 1]!)) start--;
  while (end < text.length && TOKEN_CHAR.test(text[end]!)) end++;
  return [start, end];
}

/** Where the registered secrets appear in `text`, in any of their forms, as [start, end) spans of the original text. */
function secretSpans(text: string): [number, number][] {
  const view = normalise(text);
  const lower = view.text.toLowerCase();
  const spans: [number, number][] = [];
  for (const needles of secrets.values()) {
    for (const needle of needles) {
      const haystack = needle.form === "hex" ? lower : view.text;
      for (let at = haystack.indexOf(needle.text); at >= 0; at = haystack.indexOf(needle.text, at + 1)) {
        const start = view.from[at]!;
        const end = view.to[at + needle.text.length - 1]!;
        spans.push(needle.form === "plain" ? [start, end] : widen(text, start, end));
      }
    }
  }
  return spans;
}

/** `text` with the spans (overlapping or not) replaced by one `[redacted]` each. */
function cut(text: string, spans: [number, number][]): string {
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (let i = 0; i < spans.length;) {
    const start = spans[i]![0];
    let end = spans[i]![1];
    for (i++; i < spans.length && spans[i]![0] <= end; i++) end = Math.max(end, spans[i]![1]);
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

/** The text with every registered secret (in any form above) and every credential-shaped token replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  if (secrets.size > 0) {
    const spans = secretSpans(out);
    if (spans.length > 0) out = cut(out, spans);
  }
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}
