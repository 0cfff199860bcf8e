import { createHash } from "node:crypto";

/** JSON with object keys sorted, so equal arguments give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The fingerprint an idempotency key is bound to: the feature and its
 * arguments without the key itself. Same key + same fingerprint = replay;
 * same key + other fingerprint = idempotency_conflict.
 */
export function requestFingerprint(feature: string, args: Record<string, unknown>): string {
  const { idempotency_key: _ignored, ...rest } = args;
  return createHash("sha256")
    .update(canonicalJson({ feature, args: rest }))
    .digest("hex");
}
