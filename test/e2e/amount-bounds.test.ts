/**
 * Every credit amount an operator or a caller gives is bounded, so that no
 * sum the ledger keeps can overflow a 64-bit integer: out-of-range amounts
 * are refused with `invalid_input` in one line, and nothing changes.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI, startStack, textOf } from "../helpers/stack.js";
import { assertInvariants, freshTarget, openTestLedger, tempLedger } from "../helpers/store.js";

const run = promisify(execFile);

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("credit amounts are bounded", () => {
  it("refuses grants, budgets and floors beyond a billion credits, in one line, changing nothing", async () => {
    const { env, target } = await freshTarget();
    expect((await cli(env, "org", "create", "acme")).code).toBe(0);
    for (const args of [
      ["credits", "grant", "--org", "acme", "--credits", "12345678901234567890123"],
      ["credits", "grant", "--org", "acme", "--credits", "9223372036854"],
      ["budget", "set", "--org", "acme", "--period", "day", "--credits", "1000000000.000001"],
      ["rate-card", "set", "profile_draft", "--floor", "5000000000"],
    ]) {
      const refused = await cli(env, ...args);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^error: invalid_input: --(credits|floor) may be at most 1000000000 credits \(got "[\d.]+"\)$/);
    }
    const ledger = await openTestLedger(target);
    const org = await ledger.findOrg("acme");
    expect(await ledger.getWallet(org!.id)).toMatchObject({ balanceMicroCredits: 0n });
    expect(await ledger.listBudgets()).toEqual([]);
    expect((await ledger.getRateCard("profile_draft")).floorMicroCredits).toBe(1_000_000n);
  });

  it("refuses a grant that would take a wallet past a trillion credits; the books still add up", async () => {
    const { ledger } = await tempLedger();
    const org = await ledger.createOrg("whale", 0);
    const billion = 1_000_000_000n * 1_000_000n;
    for (let i = 0; i < 1_000; i++) await ledger.grantCredits(org.id, billion, null, i);
    await expect(ledger.grantCredits(org.id, 1n, null, 1_000)).rejects.toThrow(/would take the balance above 1000000000000 credits/);
    expect(await ledger.getWallet(org.id)).toMatchObject({ balanceMicroCredits: 1_000n * billion });
    await assertInvariants(ledger);
  });

  it("refuses a tool's cost cap beyond what its schema allows", async () => {
    const stack = await startStack({ credits: "10" });
    const result = await stack.call("lead_signal_fetch", { query: "dentists Austin", max_cost_credits: 1e12 });
    expect(textOf(result)).toMatch(/^invalid_input: max_cost_credits: /);
    expect(stack.apify.requests).toHaveLength(0);
  });
});
