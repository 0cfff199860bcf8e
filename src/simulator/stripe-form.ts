/**
 * Stripe's request bodies as the `stripe` package sends them:
 * `application/x-www-form-urlencoded` with nested keys
 * (`metadata[org_id]=…`, `line_items[0][price_data][unit_amount]=1000`).
 * Everything arrives as text, as at Stripe: numbers and booleans are
 * checked where they are used.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

/** Parses a form body into nested objects; objects whose keys are all indices become arrays. */
export function parseForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = keyPath(rawKey);
    let node: FormObject = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        node[part] = value;
        return;
      }
      const next = node[part];
      if (next === undefined || typeof next === "string" || Array.isArray(next)) node[part] = {};
      node = node[part] as FormObject;
    });
  }
  return arrays(root) as FormObject;
}

/** `a[b][0][c]` -> ["a", "b", "0", "c"]; `a[]` appends. */
function keyPath(key: string): string[] {
  const head = /^[^[]+/.exec(key)?.[0] ?? key;
  const rest = [...key.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? "");
  return [head, ...rest];
}

function arrays(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = arrays(value[key]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => converted[String(k)]!);
  }
  return converted;
}

/** A string field, or undefined. */
export const str = (value: FormValue | undefined): string | undefined => (typeof value === "string" ? value : undefined);
/** An object field (metadata and the like), or undefined. */
export const obj = (value: FormValue | undefined): FormObject | undefined => (value && typeof value === "object" && !Array.isArray(value) ? value : undefined);
/** A flat string map (metadata), as Stripe stores it. */
export function metadataOf(value: FormValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value) ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

/** A stable text of the parameters, for idempotency comparisons (key order ignored). */
export function canonical(value: FormValue): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`)
    .join(",")}}`;
}
