/**
 * Providers (or proxies in front of them) that misbehave: error bodies that
 * echo the request's credentials, and costs no request can have. Nothing
 * secret reaches a tenant, the ledger or a log; an impossible cost is never
 * charged as such, and never leaves a call open.
 */
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../src/redact.js";
import { PROFILE_ARGS, rows, type Stack, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const SOCRATA_TOKEN = "socrata-app-token-5f2e9c1a7b";

async function storedErrors(stack: Stack): Promise<string> {
  return ((await rows(stack, "SELECT error_message AS m FROM tool_calls")) as { m: string | null }[]).map((r) => r.m ?? "").join("\n");
}

/** None of the secrets appears in the answer, the ledger or the server's log (at debug level). */
async function assertNowhere(stack: Stack, answer: string, secrets: string[]): Promise<void> {
  for (const secret of secrets) {
    expect(answer).not.toContain(secret);
    expect(await storedErrors(stack)).not.toContain(secret);
    expect(stack.stderr()).not.toContain(secret);
  }
}

describe("credentials echoed by a provider", () => {
  it("redacts the OpenRouter key from the answer, the ledger and the log", async () => {
    const stack = await startStack({ env: { ECN_LOG_LEVEL: "debug" } });
    stack.sim.behave({ fail: { status: 400, message: "Invalid request" }, echoCredentials: true });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    const answer = textOf(result);
    expect(answer).toMatch(
      new RegExp(`^provider_error: OpenRouter refused the request \\(400\\): Invalid request \\(request had Authorization: Bearer \\${REDACTED}\\)`),
    );
    await assertNowhere(stack, answer, [stack.sim.apiKey]);
  });

  it("redacts the Apify token", async () => {
    const stack = await startStack({ credits: "100", env: { ECN_LOG_LEVEL: "debug" } });
    stack.apify.behave({ failStart: { status: 400, type: "invalid-input", message: "Input is not valid" }, echoCredentials: true });
    const result = await stack.call("lead_signal_fetch", { query: "dentists Austin" });
    expect(textOf(result)).toMatch(/^provider_error: Apify refused the run .*Authorization: Bearer \[redacted\]/);
    await assertNowhere(stack, textOf(result), [stack.apify.token]);
  });

  it("redacts the Socrata app token", async () => {
    const stack = await startStack({ env: { ECN_LOG_LEVEL: "debug", SOCRATA_APP_TOKEN: SOCRATA_TOKEN } });
    stack.socrata.behave({ fail: { status: 500, message: "Upstream failure" }, echoCredentials: true });
    const result = await stack.call("permit_search", { city: "chicago" });
    expect(textOf(result)).toMatch(/^provider_error: Socrata is unavailable: .*X-App-Token: \[redacted\]/);
    expect(stack.socrata.requests[0]!.appToken).toBe(SOCRATA_TOKEN);
    await assertNowhere(stack, textOf(result), [SOCRATA_TOKEN]);
  });

  it("redacts anything shaped like a credential, configured or not", async () => {
    const stack = await startStack({ env: { ECN_LOG_LEVEL: "debug" } });
    const foreign = ["sk-proj-Zx81kd92mdk2LLq0p1x", "apify_api_Q2w3e4r5t6y7u8i9o0", "ecn_sk_n0tYourKey123456"];
    stack.sim.behave({ fail: { status: 502, message: `proxy error; upstream saw api_key=hunter2hunter2 and ${foreign.join(", ")}` } });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toContain(`api_key=${REDACTED}`);
    await assertNowhere(stack, textOf(result), ["hunter2hunter2", ...foreign]);
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
