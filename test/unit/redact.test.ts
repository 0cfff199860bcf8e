import { describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { redact, REDACTED, registerSecrets } from "../../src/redact.js";

describe("redact", () => {
  it("replaces every registered secret wherever it appears", () => {
    registerSecrets("s3cr3t-value-9f8e7d", undefined, "", "tiny");
    expect(redact("a s3cr3t-value-9f8e7d b s3cr3t-value-9f8e7d")).toBe(`a ${REDACTED} b ${REDACTED}`);
    // Values too short to be told from ordinary words are left alone.
    expect(redact("tiny things")).toBe("tiny things");
  });

  it.each([
    ["Authorization: Bearer abc.DEF-123_xyz", `Authorization: Bearer ${REDACTED}`],
    ["sent Basic dXNlcjpwYXNzd29yZA==", `sent Basic ${REDACTED}`],
    ["key sk-or-v1-0123456789abcdef0123 failed", `key ${REDACTED} failed`],
    ["token apify_api_AbCdEf123456 refused", `token ${REDACTED} refused`],
    ["caller ecn_sk_Zx9y8w7v6u5t4s3r", `caller ${REDACTED}`],
    ["?api_key=hunter2hunter2&x=1", `?api_key=${REDACTED}&x=1`],
    ['{"x-app-token": "abcdef123456"}', `{"x-app-token": "${REDACTED}"}`],
    ["password=correct-horse", `password=${REDACTED}`],
  ])("removes credential-shaped text: %s", (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it("leaves ordinary error text as it is", () => {
    const text = 'insufficient_credits: profile_draft needs a hold of 1 credits; idempotency_key "abc" was used. Send a bearer token.';
    expect(redact(text)).toBe(text);
  });

  it("is applied to every user-facing error and every log line", () => {
    registerSecrets("sk-or-v1-configured-key-000111");
    expect(new EcnError("provider_error", "upstream said sk-or-v1-configured-key-000111").message).toBe(`upstream said ${REDACTED}`);
    const lines: string[] = [];
    createLogger("debug", (line) => lines.push(line)).info("request", { header: "Bearer sk-or-v1-configured-key-000111" });
    expect(lines.join("")).not.toContain("configured-key");
  });
});
