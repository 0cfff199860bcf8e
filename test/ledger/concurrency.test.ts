/**
 * Several processes, each with its own connection, placing holds on one
 * wallet at once: no overspend, every success charged exactly once.
 */
import { execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { LedgerTarget } from "../../src/ledger/index.js";
import { assertInvariants, freshTarget, sqlRows, tempLedger } from "../helpers/store.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const WORKER = resolve(import.meta.dirname, "../helpers/hold-worker.mjs");

interface WorkerResult {
  placed: string[];
  existing: string[];
  refusals: Record<string, number>;
}

/** Hold workers, one process each, started together once every one of them has its ledger open. */
async function raceWorkers(processes: number, target: LedgerTarget, args: string[]): Promise<WorkerResult[]> {
  const workers = Array.from({ length: processes }, () => {
    const proc = spawn(process.execPath, [WORKER, JSON.stringify(target), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => proc.once("exit", done));
    return { proc, exited, stdout: () => stdout, stderr: () => stderr };
  });
  await waitFor(
    () => workers.every((w) => w.stdout().startsWith("ready\n")),
    undefined,
    () => workers.map((w) => w.stderr()).join("\n"),
  );
  for (const worker of workers) worker.proc.stdin.end("go\n");
  return Promise.all(
    workers.map(async (worker) => {
      expect(await worker.exited, worker.stderr()).toBe(0);
      return JSON.parse(worker.stdout().slice("ready\n".length)) as WorkerResult;
    }),
  );
}

describe("holds across processes", () => {
  it("never overspends a wallet and charges every success once", async () => {
    const { ledger, target } = await tempLedger();
    const org = await ledger.createOrg("race", Date.now());
    await ledger.grantCredits(org.id, 10_000_000n, "race", Date.now()); // 10 credits
    const processes = 4;
    const attempts = 25; // 100 attempts of a 1-credit hold, each settling at 0.6 credits
    const results = await raceWorkers(processes, target, [org.id, String(attempts), "1000000", "600000"]);
    const placed = results.flatMap((r) => r.placed);
    const refused = results.reduce((sum, r) => sum + Object.values(r.refusals).reduce((a, b) => a + b, 0), 0);
    expect(placed.length + refused).toBe(processes * attempts);
    expect(new Set(placed).size).toBe(placed.length);
    for (const r of results) expect(Object.keys(r.refusals).filter((k) => k !== "insufficient_credits")).toEqual([]);

    const wallet = await ledger.getWallet(org.id);
    expect(wallet.heldMicroCredits).toBe(0n);
    expect(wallet.balanceMicroCredits).toBe(10_000_000n - BigInt(placed.length) * 600_000n);
    expect(wallet.balanceMicroCredits).toBeGreaterThanOrEqual(0n);
    // With 1-credit holds settling at 0.6, at least 10 and at most 16 calls can succeed.
    expect(placed.length).toBeGreaterThanOrEqual(10);
    expect(placed.length).toBeLessThanOrEqual(16);
    const spends = (await sqlRows(ledger, "SELECT tool_call_id FROM credit_transactions WHERE kind = 'spend'")) as { tool_call_id: string }[];
    expect(spends.map((s) => s.tool_call_id).sort()).toEqual([...placed].sort());
    await assertInvariants(ledger);
  });

  it("runs each idempotency key once when every process sends the same keys at once", async () => {
    const { ledger, target } = await tempLedger();
    const org = await ledger.createOrg("keys", Date.now());
    await ledger.grantCredits(org.id, 1_000_000_000n, "keys", Date.now());
    const processes = 4;
    const keys = 25;
    const results = await raceWorkers(processes, target, [org.id, String(keys), "1000000", "600000", "same-"]);
    const placed = results.flatMap((r) => r.placed);
    expect(results.flatMap((r) => Object.keys(r.refusals))).toEqual([]);
    expect(placed.length).toBe(keys); // one call per key, whichever process got there first
    expect(new Set(placed).size).toBe(keys);
    for (const id of results.flatMap((r) => r.existing)) expect(placed).toContain(id);
    const calls = (await sqlRows(ledger, "SELECT idempotency_key FROM tool_calls")) as { idempotency_key: string }[];
    expect(calls.map((c) => c.idempotency_key).sort()).toEqual(Array.from({ length: keys }, (_, i) => `same-${i}`).sort());
    const wallet = await ledger.getWallet(org.id);
    expect(wallet.heldMicroCredits).toBe(0n);
    expect(wallet.balanceMicroCredits).toBe(1_000_000_000n - BigInt(keys) * 600_000n);
    await assertInvariants(ledger);
  });

  it("migrates safely when several processes open a fresh ledger at once", async () => {
    const { target } = await freshTarget();
    const script = `import { openLedger } from ${JSON.stringify(resolve(import.meta.dirname, "../../dist/ledger/index.js"))};
      const l = await openLedger(${JSON.stringify(target)}); process.stdout.write(String((await l.listRateCards()).length)); await l.close();`;
    const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ["--input-type=module", "-e", script]).then((r) => r.stdout)));
    expect(outputs).toEqual(["10", "10", "10", "10"]);
  });
});
