import { describe, expect, it } from "vitest";
import { EcnError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { redact, REDACTED, registerSecrets } from "../../src/redact.js";
import { ECHO_FORMS, echoed } from "../../src/simulator/echo.js";

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
    ["Stripe key sk_live_51AbCdEfGhIjKlMn0123 refused", `Stripe key ${REDACTED} refused`],
    ["restricted rk_test_51AbCdEfGhIjKlMn0123", `restricted ${REDACTED}`],
    ["signed with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `signed with ${REDACTED}`],
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

describe("redact finds a configured secret in any form an echo takes", () => {
  const KEY = "sk-or-v1-" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0".repeat(2);
  registerSecrets(KEY);

  it.each(ECHO_FORMS)("%s", (form) => {
    const echo = echoed(KEY, form);
    const out = redact(`upstream said: request had key ${echo} (rejected)`);
    expect(out).toContain(REDACTED);
    expect(out).toMatch(/^upstream said: request had key .*\(rejected\)$/s);
    // Nothing of the key is left, however the pieces are put back together.
    const squeezed = out.replace(/[\s\u200b]/g, "");
    expect(squeezed).not.toContain(KEY.slice(-12));
    expect(squeezed.toLowerCase()).not.toContain(Buffer.from(KEY.slice(-12)).toString("hex"));
    expect(out).not.toContain(echo.slice(Math.floor(echo.length / 4), Math.floor((3 * echo.length) / 4)));
  });

  it.each([
    ["base64url", Buffer.from(KEY).toString("base64url")],
    ["base64 of the key alone, without its prefix", Buffer.from(KEY.slice(9)).toString("base64")],
    [
      "base64 wrapped over lines",
      Buffer.from(`u:${KEY}`)
        .toString("base64")
        .replace(/(.{20})(?=.)/g, "$1\r\n"),
    ],
    ["a JSON-escaped line break", `${KEY.slice(0, 30)}\\n${KEY.slice(30)}`],
    ["a JSON-escaped zero-width character", `${KEY.slice(0, 30)}\\u200b${KEY.slice(30)}`],
    ["percent-encoding of some characters only", KEY.replace(/-/g, "%2d").replace(/a/g, "%61")],
  ])("%s", (_name, echo) => {
    const out = redact(`echo: ${echo}!`);
    expect(out).toBe(`echo: ${REDACTED}!`);
  });

  it("takes the whole encoded token: the base64 of user:key goes entirely", () => {
    expect(redact(`Authorization: Basic ${Buffer.from(`alice:${KEY}`).toString("base64")} failed`)).toBe(`Authorization: Basic ${REDACTED} failed`);
  });

  it("leaves text without the key as it is, hex and base64 included", () => {
    const text = `gen-1744 id ${Buffer.from("some other value entirely").toString("base64")} and ${Buffer.from("not the key, really").toString("hex")}`;
    expect(redact(text)).toBe(text);
  });
});
