/**
 * Providers (or proxies in front of them) that misbehave: error bodies that
 * echo the request's credentials, and costs no request can have. Nothing
 * secret reaches a tenant, the ledger or a log; an impossible cost is never
 * charged as such, and never leaves a call open.
 */
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../src/redact.js";
import { ECHO_FORMS, echoed, type EchoForm } from "../../src/simulator/echo.js";
import { startHttpStack } from "../helpers/http-stack.js";
import { PROFILE_ARGS, rows, type Stack, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

// Shaped like a real Socrata app token: 25 letters and digits, no prefix.
const SOCRATA_TOKEN = "k3Xb9QmZ2vLr8TcW4nYp7HsJd";

async function storedErrors(stack: { ledger: Stack["ledger"] }): Promise<string> {
  return ((await rows(stack, "SELECT error_message AS m FROM tool_calls")) as { m: string | null }[]).map((r) => r.m ?? "").join("\n");
}

/**
 * Traces of `secret` in `text`, in the form it was echoed or put back together: the echo's
 * middle, and the secret's tail (as it is and hex-encoded) once breaks are taken out.
 */
function traces(text: string, secret: string, form: EchoForm): string[] {
  const echo = echoed(secret, form);
  const squeezed = text.replace(/[\s\u200b]|\\n|\\u200b/g, "");
  const tail = secret.slice(-12);
  const found: string[] = [];
  if (text.includes(echo.slice(Math.floor(echo.length / 4), Math.ceil((3 * echo.length) / 4)))) found.push("the echo");
  if (squeezed.includes(tail)) found.push("the secret's tail");
  if (squeezed.toLowerCase().includes(Buffer.from(tail).toString("hex"))) found.push("its hex");
  return found;
}

/** No trace of the secret in the answer, the ledger or the server's log (at debug level). */
async function assertNowhere(stack: Stack, answer: string, secret: string, form: EchoForm): Promise<void> {
  expect(traces(answer, secret, form), `answer: ${answer}`).toEqual([]);
  expect(traces(await storedErrors(stack), secret, form), "tool_calls.error_message").toEqual([]);
  expect(traces(stack.stderr(), secret, form), "the server's log").toEqual([]);
}

/** The answer names a reference; the log has the provider's own words (redacted) under it, and the answer does not. */
function assertReferenced(stack: Stack, answer: string, providerWords: string): void {
  const reference = /reference (perr_[0-9a-f]{8})/.exec(answer)?.[1];
  expect(reference, answer).toBeDefined();
  expect(answer).not.toContain(providerWords);
  const line = stack
    .stderr()
    .split("\n")
    .find((l) => l.includes(`"${reference}"`));
  expect(line, `a log line with ${reference}`).toBeDefined();
  expect(line).toContain(providerWords);
  expect(line).toContain(REDACTED);
}

describe("credentials echoed by a provider, in every form", () => {
  it("OpenRouter: the tenant gets our message with a reference; the key is nowhere, in no form", async () => {
    const stack = await startStack({ credits: "100", env: { ECN_LOG_LEVEL: "debug" } });
    for (const form of ECHO_FORMS) {
      stack.sim.behave({ fail: { status: 400, message: "Invalid request" }, echoCredentials: form });
      const answer = textOf(await stack.call("profile_draft", PROFILE_ARGS));
      expect(answer).toMatch(/^provider_error: OpenRouter refused the request \(HTTP 400; reference perr_[0-9a-f]{8}\)\. Nothing was charged/);
      assertReferenced(stack, answer, "Invalid request");
      await assertNowhere(stack, answer, stack.sim.apiKey, form);
    }
  });

  it("Apify: the same, with Apify's error type", async () => {
    const stack = await startStack({ credits: "1000", env: { ECN_LOG_LEVEL: "debug" } });
    for (const form of ECHO_FORMS) {
      stack.apify.behave({ failStart: { status: 400, type: "invalid-input", message: "Input is not valid" }, echoCredentials: form });
      const answer = textOf(await stack.call("lead_signal_fetch", { query: "dentists Austin" }));
      expect(answer).toMatch(/^provider_error: Apify refused the run \(HTTP 400, invalid-input; reference perr_[0-9a-f]{8}\)\. Nothing was charged/);
      assertReferenced(stack, answer, "Input is not valid");
      await assertNowhere(stack, answer, stack.apify.token, form);
    }
  });

  it("Socrata: the same, with the SODA error code", async () => {
    const stack = await startStack({ env: { ECN_LOG_LEVEL: "debug", SOCRATA_APP_TOKEN: SOCRATA_TOKEN } });
    for (const form of ECHO_FORMS) {
      stack.socrata.behave({ fail: { status: 500, message: "Upstream failure" }, echoCredentials: form });
      const answer = textOf(await stack.call("permit_search", { city: "chicago" }));
      expect(answer).toMatch(
        /^provider_error: Socrata is unavailable: .* answered an error \(HTTP 500, internal_error; reference perr_[0-9a-f]{8}\); try again later/,
      );
      assertReferenced(stack, answer, "Upstream failure");
      await assertNowhere(stack, answer, SOCRATA_TOKEN, form);
    }
    expect(stack.socrata.requests[0]!.appToken).toBe(SOCRATA_TOKEN);
  });

  it("over HTTP too: the answer, the ledger and the server's log hold no trace of the key, in any form", async () => {
    const stack = await startHttpStack({ env: { ECN_LOG_LEVEL: "debug" } });
    for (const form of ECHO_FORMS) {
      stack.providers.sim.behave({ fail: { status: 400, message: "Invalid request" }, echoCredentials: form });
      const response = await fetch(`${stack.url}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.keys.acme}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE_ARGS } }),
      });
      const answer = await response.text();
      expect(answer).toMatch(/provider_error: OpenRouter refused the request \(HTTP 400; reference perr_[0-9a-f]{8}\)/);
      expect(traces(answer, stack.providers.sim.apiKey, form), answer).toEqual([]);
      expect(traces(await storedErrors(stack), stack.providers.sim.apiKey, form)).toEqual([]);
      expect(traces(stack.stderr(), stack.providers.sim.apiKey, form)).toEqual([]);
    }
  });

  it("redacts anything shaped like a credential, configured or not, in the log; the answer carries none of the provider's text", async () => {
    const stack = await startStack({ env: { ECN_LOG_LEVEL: "debug" } });
    const foreign = ["sk-proj-Zx81kd92mdk2LLq0p1x", "apify_api_Q2w3e4r5t6y7u8i9o0", "ecn_sk_n0tYourKey123456"];
    stack.sim.behave({ fail: { status: 502, message: `proxy error; upstream saw api_key=hunter2hunter2 and ${foreign.join(", ")}` } });
    const answer = textOf(await stack.call("profile_draft", PROFILE_ARGS));
    assertReferenced(stack, answer, "proxy error; upstream saw api_key=[redacted]");
    for (const secret of ["hunter2hunter2", ...foreign]) {
      expect(answer).not.toContain(secret);
      expect(await storedErrors(stack)).not.toContain(secret);
      expect(stack.stderr()).not.toContain(secret);
    }
  });
});

describe("a cost no request can have", () => {
  it.each([
    ["an absurd number", 1e300],
    ["a negative number", -0.5],
    ["a string", "0.0012"],
    ["an object", { usd: 0.001 }],
  ])("an OpenRouter cost that is %s is charged the hold, flagged estimated, and the call is closed", async (_name, reported) => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ reportedCost: reported });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError, textOf(result)).toBeFalsy();
    const metering = (result.structuredContent as { metering: { tool_call_id: string; credits_charged: number } }).metering;
    const call = await stack.ledger.getCall(metering.tool_call_id);
    expect(call).toMatchObject({ state: "settled" });
    expect(metering.credits_charged).toBe(Number(call!.holdMicroCredits) / 1e6);
    const [event] = await stack.ledger.usageEventsOfCall(metering.tool_call_id);
    expect(event).toMatchObject({ estimated: true, costSource: "estimated", chargedMicroCredits: call!.holdMicroCredits });
    expect(event!.providerRequestId).toBe(stack.sim.paidRequests()[0]!.generationId);
    expect(stack.stderr()).toMatch(/^\{"level":"warn",[^\n]*"msg":"a provider reported an impossible cost/m);
    expect(await stack.ledger.openCalls()).toEqual([]);
    await assertInvariants(stack.ledger);
  });

  it("an Apify usageTotalUsd of 1e300 is charged the hold, flagged estimated", async () => {
    const stack = await startStack({ credits: "100" });
    stack.apify.behave({ reportedUsageTotalUsd: 1e300, durationMs: 50 });
    const result = await stack.call("lead_signal_fetch", { query: "dentists Austin", max_results: 3 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const metering = (result.structuredContent as { metering: { credits_charged: number } }).metering;
    expect(metering.credits_charged).toBe(75); // the rate card floor: the run's hold and cap
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event).toMatchObject({ estimated: true, providerRequestId: stack.apify.startedRuns()[0]!.id });
    expect(await stack.ledger.openCalls()).toEqual([]);
    await assertInvariants(stack.ledger);
  });
});
