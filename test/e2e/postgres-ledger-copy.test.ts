/**
 * `ecn-mcp ledger copy` moves a SQLite ledger with every kind of row into an
 * empty PostgreSQL database: every table equal row for row (ids kept),
 * balances and sums equal, invariants holding on the target (connectors' and
 * payments' tables included); a non-empty
 * target is refused.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/index.js";
import * as schema from "../../src/ledger/sqlite/schema.js";
import { holdRequest as hold, NOW, usageEvent as event } from "../helpers/ledger-inputs.js";
import { CLI } from "../helpers/stack.js";
import { assertInvariants, freshTarget, openTestLedger, sqlRows, type TestLedger } from "../helpers/store.js";
import { tempDir } from "../helpers/temp-ledger.js";

const run = promisify(execFile);
/** Every table of the schema: the copy must carry each (a new table is covered without a change here). */
const TABLES = Object.values(schema)
  .filter((value) => is(value, SQLiteTable))
  .map((table) => getTableName(table));

/** A ledger with a row in every table and a call in every state. */
async function everyKindOfRow(ledger: TestLedger): Promise<void> {
  const acme = await ledger.createOrg("acme", NOW);
  const beta = await ledger.createOrg("beta", NOW);
  await ledger.grantCredits(acme.id, 50_000_000n, "opening", NOW);
  await ledger.grantCredits(beta.id, 5_000_000n, null, NOW);
  await ledger.createApiKey({ id: "key_1", orgId: acme.id, name: "agents", prefix: "ecn_sk_abcdef", keyHash: "f".repeat(64), createdAt: NOW });
  await ledger.revokeApiKey("key_1", NOW + 1);
  await ledger.updateRateCard("profile_draft", { floorMicroCredits: 2_000_000n, model: "openai/gpt-4o" }, NOW);
  await ledger.setBudget({ orgId: acme.id, feature: null, period: "month", limitMicroCredits: 3_000_000n, hard: false }, NOW);
  await ledger.setBudget({ orgId: acme.id, feature: "lead_qualify", period: "day", limitMicroCredits: 40_000_000n, hard: true }, NOW);
  const calls = [];
  for (let i = 0; i < 6; i++) {
    const placed = await ledger.placeHold(hold(acme.id, 1_000_000n, { idempotencyKey: `k${i}`, requestHash: `h${i}` }));
    if (placed.kind !== "placed") throw new Error(`hold ${i} refused`);
    calls.push(placed.call.id);
  }
  // An MCP task on the call that stays held (its run still going).
  await ledger.createTask({
    id: "task_1",
    orgId: acme.id,
    toolCallId: calls[0]!,
    tool: "lead_signal_fetch",
    statusMessage: null,
    ttlMs: 86_400_000,
    pollIntervalMs: 5_000,
    now: NOW,
  });
  for (const id of calls.slice(1)) await ledger.markDispatched(id, NOW);
  await ledger.addProviderRef(calls[1]!, "gen-1");
  await ledger.settleCall(calls[1]!, [event(125_000n, { providerRequestId: "gen-1" })], { resultJson: '{"text":"ok"}' }, NOW);
  await ledger.voidCall(
    calls[2]!,
    [event(0n, { providerRequestId: "gen-2", outcome: "failed", costSource: "none" })],
    { code: "provider_error", message: "402" },
    NOW,
  );
  await ledger.addProviderRef(calls[3]!, "gen-3");
  await ledger.markUnknown(calls[3]!, "provider_error", "timed out");
  await ledger.settleCall(calls[4]!, [event(2_000_000n, { providerRequestId: "gen-4" })], { error: { code: "provider_error", message: "over hold" } }, NOW);
  // calls[0] stays held, calls[5] dispatched.
  await ledger.logDataQuery({ orgId: beta.id, source: "socrata", dataset: "ydr8-5enu", query: "$limit=5", rowCount: 5, now: NOW });
  await ledger.saveModelPrices([
    {
      model: "openai/gpt-4o-mini",
      promptUsd: "0.00000015",
      completionUsd: "0.0000006",
      requestUsd: "0",
      inputCacheReadUsd: "0",
      inputCacheWriteUsd: "0",
      internalReasoningUsd: "0",
      webSearchUsd: "0",
      maxCompletionTokens: 16384,
      fetchedAt: NOW,
    },
  ]);
  await ledger.setModelPriceOverride({
    model: "acme/private",
    promptUsd: "0.000001",
    completionUsd: "0.000002",
    requestUsd: "0",
    note: "ours",
    updatedAt: NOW,
  });
  await ledger.checkWritable(NOW);
  await ledger.recordRefusal(beta.id, "profile_draft", "insufficient_credits", NOW);
  await ledger.heartbeatInstance({ id: "in_1", host: "box", pid: 4242, pidScope: null, pidStart: "77", kind: "http", startedAt: NOW, heartbeatAt: NOW });
  await ledger.startSession({ idHash: "a".repeat(64), orgId: acme.id, keyId: "key_1", operatorBinding: null, createdAt: NOW, expiresAt: NOW + 3_600_000 });
  await ledger.startSession({ idHash: "c".repeat(64), orgId: null, keyId: null, operatorBinding: "b".repeat(64), createdAt: NOW, expiresAt: NOW + 3_600_000 });
  await ledger.recordReconcile({ id: "rec_1", source: "command", instanceId: null, finishedAt: NOW, summary: { examined: 3, left_running: 3 } });
  await ledger.recordUsageSnapshot({ id: "us_1", provider: "openrouter", takenAt: NOW, usageNanoUsd: 123_456_789n, reason: "server_start" });
  await connectorRows(ledger, acme.id);
  await paymentRows(ledger, acme.id);
}

/** An app connected with OAuth (its grant record, the connection, a charged call through it) and a member. */
async function connectorRows(ledger: TestLedger, orgId: string): Promise<void> {
  await ledger.upsertOAuthRecord({ model: "Grant", idHash: "d".repeat(64), payloadJson: "{}", grantId: "grant_1", uid: null, userCode: null, expiresAt: null });
  const connection = { id: "con_1", orgId, clientId: "client_1", clientName: "Claude", scope: "tools:free tools:paid", dayCapMicroCredits: 100_000_000n };
  await ledger.createConnection({ ...connection, grantId: "grant_1", signedInVia: "api_key", signedInAs: null, createdAt: NOW });
  const placed = await ledger.placeHold(hold(orgId, 1_000_000n, { connectionId: "con_1", requestHash: "hc" }));
  if (placed.kind !== "placed") throw new Error("the connection's hold was refused");
  await ledger.markDispatched(placed.call.id, NOW);
  await ledger.settleCall(placed.call.id, [event(100_000n, { providerRequestId: "gen-c" })], { resultJson: "{}" }, NOW);
  await ledger.addMember({ orgId, email: "dana@acme.test", createdAt: NOW });
}

/**
 * Money coming in: a webhook endpoint (so every event below is queued for it),
 * a pack bought through Checkout and its card saved, alert levels, and an
 * auto-recharge rule whose threshold the balance already stands under (its
 * signal processed into a recharge attempt).
 */
async function paymentRows(ledger: TestLedger, orgId: string): Promise<void> {
  await ledger.billing.addWebhook({ id: "whe_1", orgId, url: "https://hooks.example.com/ecn", secret: "whsec_copy", createdAt: NOW });
  await ledger.billing.setPack("starter", 1_000_000_000n, 1000, NOW);
  await ledger.billing.saveCustomer(orgId, "cus_1", NOW);
  await ledger.billing.startCheckout({ id: "chk_1", orgId, pack: "starter", microCredits: 1_000_000_000n, usdCents: 1000, createdAt: NOW });
  await ledger.billing.attachCheckoutSession("chk_1", "cs_1", "https://checkout.stripe.test/cs_1");
  const paid = { kind: "grant_checkout", checkoutId: "chk_1", sessionId: "cs_1", paymentIntent: "pi_1", customerId: "cus_1" } as const;
  await ledger.billing.applyStripeEvent("evt_1", "checkout.session.completed", paid, NOW);
  await ledger.billing.applyStripeEvent("evt_2", "payment_intent.succeeded", { kind: "save_card", customerId: "cus_1", paymentMethodId: "pm_1" }, NOW);
  await ledger.billing.setBalanceAlerts(orgId, [25, 10], NOW);
  const rule = { orgId, belowMicroCredits: 5_000_000_000n, targetMicroCredits: 6_000_000_000n, maxMonthUsdCents: 100_000 };
  await ledger.billing.setRecharge(rule, NOW);
  for (const signal of await ledger.billing.pendingSignals(10)) await ledger.billing.processSignal(signal.orgId, signal.key, "0.01", NOW);
}

/** Every row of every table, as comparable text. */
async function dump(ledger: TestLedger): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of TABLES) {
    const rows = await sqlRows(ledger, `SELECT * FROM ${table}`);
    out[table] = rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .sort()
            .map((k) => [k, row[k] === null ? null : String(row[k] as string | number | bigint | boolean)]),
        ),
      )
      .sort();
  }
  return out;
}

async function copy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(process.execPath, [CLI, "ledger", "copy", ...args], { env: { PATH: process.env.PATH ?? "" } })) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("ecn-mcp ledger copy", () => {
  it("copies every table of a SQLite ledger into an empty PostgreSQL database, ids kept, and proves it", async () => {
    const file = join(tempDir(), "ledger.db");
    const source = openSqliteLedger(file);
    await everyKindOfRow(source);
    await assertInvariants(source);
    const { target } = await freshTarget();

    const copied = await copy("--from", file, "--to", target.databaseUrl!, "--json");
    expect(copied.code, copied.stderr).toBe(0);
    const report = JSON.parse(copied.stdout) as { rows: number; tables: { table: string }[]; invariants: string };
    expect(report.invariants).toBe("hold on both sides");
    expect(report.tables.map((t) => t.table).sort()).toEqual([...TABLES].sort());
    expect(copied.stderr).toContain("copying usage_events: 4 / 4 rows (100%)");

    const copy_ = await openTestLedger(target);
    expect(await dump(copy_)).toEqual(await dump(source));
    for (const table of TABLES.filter((t) => t !== "ledger_health")) expect((await dump(copy_))[table]!.length, table).toBeGreaterThan(0);
    await assertInvariants(copy_);
    const [acme] = await copy_.listOrgs();
    expect(await copy_.getWallet(acme!.id)).toEqual(await source.getWallet(acme!.id));
    expect((await copy_.openCalls()).map((c) => c.state).sort()).toEqual(["dispatched", "held", "unknown"]);
    await source.close();

    // A target that holds a ledger already is refused, and left as it was.
    const again = await copy("--from", file, "--to", target.databaseUrl!);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/^error: invalid_input: the target database is not empty: orgs has 2 row\(s\)/);
    expect((await copy_.listOrgs()).length).toBe(2);
  });

  it("refuses a source file that does not exist and a target that is not a PostgreSQL URL", async () => {
    const missing = await copy("--from", join(tempDir(), "nothing.db"), "--to", "postgres://127.0.0.1:1/none");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: invalid_input: --from: no ledger file at /);
    const badUrl = await copy("--from", "x.db", "--to", "mysql://localhost/db");
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("--to: must be a postgres:// (or postgresql://) URL");
  });
});
