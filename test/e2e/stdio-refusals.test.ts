/**
 * Refusals and provider failures over stdio: each leaves the ledger
 * consistent, and every request the simulated provider saw is accounted for.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logLines } from "../helpers/logs.js";
import type { Stack } from "../helpers/stack.js";
import { CLI, countRows, PROFILE_ARGS, rows, startStack, textOf, waitFor } from "../helpers/stack.js";
import { assertInvariants, tempDir } from "../helpers/temp-ledger.js";

/** Every paid request the simulator received has exactly one usage event, and vice versa. */
async function assertOneEventPerRequest(stack: Stack): Promise<void> {
  const requests = stack.sim.paidRequests();
  const events = (await rows(stack, "SELECT provider_request_id AS ref FROM usage_events")) as { ref: string | null }[];
  expect(events).toHaveLength(requests.length);
  const refs = events.map((e) => e.ref).filter((r) => r !== null);
  const generated = requests.map((r) => r.generationId).filter((g) => g !== null);
  expect(refs.sort()).toEqual(generated.sort());
}

describe("refused before anything happens", () => {
  it("refuses a call the wallet cannot hold: no provider request, no ledger row", async () => {
    const stack = await startStack({ credits: "0.4" });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(textOf(result)).toBe(
      'insufficient_credits: profile_draft needs a hold of 1 credits, but organisation "e2e" has 0.4 credits available. ' +
        "Nothing was charged. Add credits with: ecn-mcp credits grant --org e2e --credits 10",
    );
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
    expect(await countRows(stack, "usage_events")).toBe(0n);
  });

  it.each([
    ["missing notes", { business_name: "X" }, /^invalid_input: notes: /],
    ["notes too long", { ...PROFILE_ARGS, notes: "x".repeat(20_001) }, /^invalid_input: notes: .*20000/],
    ["absurd max_tokens", { ...PROFILE_ARGS, max_tokens: 1_000_000_000 }, /^invalid_input: max_tokens: /],
    ["fractional max_tokens", { ...PROFILE_ARGS, max_tokens: 12.5 }, /^invalid_input: max_tokens: /],
    ["a provider key smuggled in", { ...PROFILE_ARGS, openrouter_api_key: "sk-or-mine" }, /^invalid_input: .*openrouter_api_key/],
    ["a non-printable idempotency key", { ...PROFILE_ARGS, idempotency_key: "a\u0000b" }, /^invalid_input: idempotency_key: /],
    ["a model that is not a model id", { ...PROFILE_ARGS, model: "../../etc/passwd" }, /^invalid_input: model: /],
    ["wrong types", { business_name: 42, notes: ["a"] }, /^invalid_input: /],
    // JSON.parse makes "__proto__" an own key; a plain object copy would turn it into a prototype and lose it.
    ["an argument named __proto__", { ...PROFILE_ARGS, ["__proto__"]: { max_tokens: 16 } }, /^invalid_input: arguments: Unrecognized key: "__proto__"/],
    ["a null __proto__", { ...PROFILE_ARGS, ["__proto__"]: null }, /^invalid_input: arguments: Unrecognized key: "__proto__"/],
    [
      "a __proto__ holding a number (which a copy would silently drop)",
      { ...PROFILE_ARGS, ["__proto__"]: 5 },
      /^invalid_input: arguments: Unrecognized key: "__proto__"/,
    ],
  ])("refuses %s with invalid_input and no side effect", async (_name, args, pattern) => {
    const stack = await startStack();
    const result = await stack.call("profile_draft", args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
    expect(stack.sim.paidRequests()).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
    // The server keeps answering.
    expect((await stack.call("get_wallet_balance")).isError).toBeFalsy();
  });

  it("answers provider_not_configured when OPENROUTER_API_KEY is missing", async () => {
    const stack = await startStack({ withoutOpenRouter: true });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_not_configured: .*OPENROUTER_API_KEY/);
    expect(stack.sim.requests).toHaveLength(0);
    expect(await countRows(stack, "tool_calls")).toBe(0n);
  });
});

describe("provider failures", () => {
  it.each([
    [402, "Insufficient credits"],
    [500, "Internal Server Error"],
    [429, "Rate limit exceeded"],
  ])("an OpenRouter %i voids the hold and charges nothing", async (status, message) => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ fail: { status, message, retryAfterSeconds: status === 429 ? 7 : undefined } });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`^provider_error: OpenRouter refused the request \\(HTTP ${status}; reference perr_[0-9a-f]{8}\\)`));
    // OpenRouter's own words are for the operator's log only.
    expect(textOf(result)).not.toContain(message);
    // The warning files them under the reference the caller was shown.
    const reference = /reference (perr_[0-9a-f]{8})/.exec(textOf(result))?.[1];
    expect(logLines(stack.stderr()).find((line) => line.reference === reference)).toMatchObject({
      level: "warn",
      msg: "tool call failed: provider error",
      code: "provider_error",
      provider_said: message,
    });
    expect(textOf(result)).toContain("Nothing was charged");
    if (status === 429) expect(textOf(result)).toContain("Retry after 7 s");
    // One request: the client's automatic retries are off so none goes unmetered.
    expect(stack.sim.paidRequests()).toHaveLength(1);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 10_000_000n, heldMicroCredits: 0n });
    const calls = await rows(stack, "SELECT state, error_code FROM tool_calls");
    expect(calls).toEqual([{ state: "voided", error_code: "provider_error" }]);
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 5 });
    expect(event).toMatchObject({ outcome: "failed", costNanoUsd: 0n, chargedMicroCredits: 0n });
    await assertOneEventPerRequest(stack);
    await assertInvariants(stack.ledger);
    // And the next call works.
    expect((await stack.call("profile_draft", PROFILE_ARGS)).isError).toBeFalsy();
    await assertOneEventPerRequest(stack);
  });

  it("a timeout after the generation started is priced from the generation endpoint", async () => {
    // The response begins at once (the generation id is known), then stalls until the client gives up: only the timeout ends it.
    const stack = await startStack({ credits: "10", env: { ECN_PROVIDER_TIMEOUT_MS: "5000" } });
    stack.sim.behave({ stallMs: 600_000 });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_error: the OpenRouter request was cancelled or timed out\. The provider reported what the partial work cost/);
    const [request] = stack.sim.paidRequests();
    expect(request!.cancelled).toBe(true);
    const calls = await rows(stack, "SELECT state FROM tool_calls");
    expect(calls).toEqual([{ state: "settled" }]);
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(event).toMatchObject({ providerRequestId: request!.generationId, costSource: "lookup" });
    expect(Number(event!.costNanoUsd) / 1e9).toBeCloseTo(request!.billedUsd, 9);
    await assertOneEventPerRequest(stack);
    await assertInvariants(stack.ledger);
  });

  it("a timeout before any response leaves the call unknown with its hold, for the reconciler", async () => {
    const stack = await startStack({ credits: "10", env: { ECN_PROVIDER_TIMEOUT_MS: "700" } });
    stack.sim.behave({ latencyMs: 600_000 }); // no response at all: only the timeout ends it
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_error: the OpenRouter request was cancelled or timed out\. .*hold of 1 credits stays/);
    expect(await rows(stack, "SELECT state FROM tool_calls")).toEqual([{ state: "unknown" }]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 10_000_000n, heldMicroCredits: 1_000_000n });
    await assertInvariants(stack.ledger);
  });

  it("cancelling the MCP request aborts the provider request and settles what it billed", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ stallMs: 10_000 });
    const controller = new AbortController();
    const pending = stack.client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS }, undefined, { signal: controller.signal });
    await waitFor(() => stack.sim.paidRequests().length === 1 && stack.sim.paidRequests()[0]!.generationId !== null);
    await waitFor(async () => (await stack.ledger.openCalls())[0]?.providerRefs.length === 1); // the server has the generation id
    controller.abort("user pressed stop");
    await expect(pending).rejects.toThrow();
    await waitFor(
      async () =>
        (await rows(stack, "SELECT state FROM tool_calls"))[0] !== undefined &&
        ((await rows(stack, "SELECT state FROM tool_calls"))[0] as { state: string }).state === "settled",
    );
    expect(stack.sim.paidRequests()[0]!.cancelled).toBe(true);
    await assertOneEventPerRequest(stack);
    await assertInvariants(stack.ledger);
  });

  it("an error in the middle of the stream charges what the provider billed for it", async () => {
    const stack = await startStack({ credits: "10" });
    stack.sim.behave({ inBandError: "upstream provider disconnected" });
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_error: OpenRouter failed mid-response \(502; reference perr_[0-9a-f]{8}\)/);
    const reference = /reference (perr_[0-9a-f]{8})/.exec(textOf(result))?.[1];
    expect(logLines(stack.stderr()).find((line) => line.reference === reference)).toMatchObject({
      level: "warn",
      provider_said: "upstream provider disconnected",
    });
    const [event] = await stack.ledger.recentUsage({ orgId: stack.orgId, limit: 1 });
    expect(Number(event!.costNanoUsd) / 1e9).toBeCloseTo(stack.sim.paidRequests()[0]!.billedUsd, 9);
    await assertOneEventPerRequest(stack);
    await assertInvariants(stack.ledger);
  });

  it("an unreachable provider voids the hold", async () => {
    // Port 2 on loopback: nothing listens there, and it is outside the ephemeral range the simulators bind
    // (closing the simulator instead would free a port another test may take over).
    const stack = await startStack({ credits: "10", env: { OPENROUTER_BASE_URL: "http://127.0.0.1:2/api/v1" } });
    // /models is unreachable too, so the model needs the operator's price before anything can be held.
    await stack.cli("rate-card", "price", "set", "openai/gpt-4o-mini", "--prompt", "0.00000015", "--completion", "0.0000006");
    const result = await stack.call("profile_draft", PROFILE_ARGS);
    expect(textOf(result)).toMatch(/^provider_error: cannot reach OpenRouter \(ECONNREFUSED\)/);
    expect(await rows(stack, "SELECT state FROM tool_calls")).toEqual([{ state: "voided" }]);
    expect(await stack.ledger.getWallet(stack.orgId)).toMatchObject({ balanceMicroCredits: 10_000_000n, heldMicroCredits: 0n });
    await assertInvariants(stack.ledger);
  });
});

describe("configuration", () => {
  it.each([
    ["ECN_MARKUP", "0.9"],
    ["ECN_MARKUP", "abc"],
    ["ECN_CREDIT_USD_VALUE", "0"],
    ["ECN_CREDIT_USD_VALUE", "-1"],
    ["ECN_CREDIT_USD_VALUE", "0.0001"],
    ["ECN_MARKUP", "100.01"],
    ["ECN_DEPLOYMENT_MODE", "cloud"],
  ])("%s=%s stops start-up with a message naming the variable", (name, value) => {
    const run = spawnSync(process.execPath, [CLI], {
      env: { PATH: process.env.PATH, ECN_DB_PATH: join(tempDir(), "ecn.db"), [name]: value },
      input: "",
    });
    expect(run.status).toBe(2);
    expect(run.stderr.toString()).toContain(`${name}: must be`);
    expect(run.stdout.toString()).toBe("");
  });
});
