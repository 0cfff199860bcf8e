/**
 * `ecn-mcp ledger check`, the operator's first command when something looks
 * wrong: on a sound ledger an all-clear and exit 0; on a ledger with broken
 * rows, each broken invariant named, and the ledger's exit code.
 */
import { describe, expect, it } from "vitest";
import { cliRunner } from "../helpers/stack.js";
import { freshTarget, openTestLedger, sqlExec } from "../helpers/store.js";

const LEDGER_EXIT = 4;

interface CheckJson {
  ledger: string;
  ok: boolean;
  integrity: string | null;
  problems: { invariant: string; detail: string }[];
}

async function ledgerWithAnOrg() {
  const fresh = await freshTarget();
  const cli = cliRunner({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...fresh.env });
  await cli("org", "create", "acme");
  await cli("credits", "grant", "--org", "acme", "--credits", "10");
  return { cli, ledger: await openTestLedger(fresh.target) };
}

describe("ecn-mcp ledger check", () => {
  it("gives the all-clear on a sound ledger, and exits 0", async () => {
    const { cli } = await ledgerWithAnOrg();
    const { stdout } = await cli("ledger", "check");
    expect(stdout).toMatch(/^The ledger .+ is sound: its store reads back whole and every invariant holds\.$/m);
    expect(stdout).not.toContain("FAILED");
    const json = JSON.parse((await cli("ledger", "check", "--json")).stdout) as CheckJson;
    expect(json).toMatchObject({ ok: true, integrity: null, problems: [] });
  });

  it("names each broken invariant with its row and exits with the ledger's code", async () => {
    const { cli, ledger } = await ledgerWithAnOrg();
    // A balance that no longer matches its transactions, and a hold no open call accounts for.
    await sqlExec(ledger, "UPDATE wallets SET balance_micro_credits = balance_micro_credits + 1, held_micro_credits = 7");
    const failure = await cli("ledger", "check").then(
      () => {
        throw new Error("ledger check passed a broken ledger");
      },
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure.code).toBe(LEDGER_EXIT);
    expect(failure.stdout).toMatch(/^FAILED balance differs from the sum of transactions: .*"org_id":"org_.*10000001/m);
    expect(failure.stdout).toMatch(/^FAILED held differs from the sum of open holds: .*"org_id":"org_.*"7"/m);
    expect(failure.stdout).toMatch(/breaks 2 invariant\(s\)/);
    expect(failure.stdout).not.toContain("is sound");

    const json = await cli("ledger", "check", "--json").then(
      () => null,
      (error: { code: number; stdout: string }) => ({ code: error.code, body: JSON.parse(error.stdout) as CheckJson }),
    );
    expect(json?.code).toBe(LEDGER_EXIT);
    expect(json?.body.ok).toBe(false);
    expect(json?.body.problems.map((p) => p.invariant)).toEqual(["balance differs from the sum of transactions", "held differs from the sum of open holds"]);
  });

  it("names a connection's daily spend that no settled call accounts for (what its cap reads)", async () => {
    const { cli, ledger } = await ledgerWithAnOrg();
    const org = await ledger.findOrg("acme");
    const connection = await ledger.createConnection({
      id: "con_1",
      orgId: org!.id,
      clientId: "client-1",
      clientName: "App",
      scope: "tools:free tools:paid",
      dayCapMicroCredits: 5_000_000n,
      grantId: "grant-1",
      signedInVia: "api_key",
      signedInAs: null,
      createdAt: Date.UTC(2026, 0, 1),
    });
    await sqlExec(
      ledger,
      `INSERT INTO connection_daily (connection_id, day, calls, charged_micro_credits, metered_micro_credits) VALUES ('${connection.id}', ${Date.UTC(2026, 0, 1)}, 1, 7, 7)`,
    );
    const failure = await cli("ledger", "check").then(
      () => {
        throw new Error("ledger check passed a broken ledger");
      },
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure.code).toBe(LEDGER_EXIT);
    expect(failure.stdout).toMatch(/^FAILED per-connection daily rollup differs from the events: .*"con_1"/m);
    expect(failure.stdout).toMatch(/breaks 1 invariant\(s\)/);
  });
});
