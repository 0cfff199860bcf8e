import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/stack.js";
import { freshTarget, STORE } from "../helpers/store.js";

const run = promisify(execFile);

describe(`ecn-mcp demo (${STORE})`, () => {
  it("runs the whole loop against simulated providers and exits 0", async () => {
    // On PostgreSQL the demo runs in a database of its own choosing: `demo --database-url URL`.
    const args = STORE === "postgres" ? ["--database-url", (await freshTarget()).target.databaseUrl!] : [];
    const { stdout } = await run(process.execPath, [CLI, "demo", ...args], { env: { PATH: process.env.PATH } });
    expect(stdout).toContain("SIMULATED on loopback");
    expect(stdout).toMatch(/Fetch lead signals[\s\S]*RUNNING: \d+ of \d+ results pages so far/);
    expect(stdout).toMatch(/refused before any provider request: budget_exceeded: /);
    expect(stdout).toMatch(/Margin per feature[\s\S]*lead_signal_fetch[\s\S]*20%/);
    expect(stdout).toMatch(/saw 3 paid requests; the ledger holds one usage event for each/);
    expect(stdout).toMatch(/checkout link for 1000 credits \(\$10\.00\): http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);
    expect(stdout).toMatch(/webhook arrived: granted 1000 credits once/);
    if (STORE === "postgres") expect(stdout).not.toContain("ecn-test"); // the database password is never printed
  });
});
