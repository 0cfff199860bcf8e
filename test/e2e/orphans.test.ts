/**
 * Instances and orphans, with real server processes on one ledger (SQLite
 * file or PostgreSQL, whichever the project runs): a killed HTTP instance's
 * calls are taken over by the survivor's sweep with nobody running a
 * command; a live instance's long call is never touched by anybody; and
 * `ecn-mcp instances` shows who is alive and who owns what.
 */
import { describe, expect, it } from "vitest";
import { assertNothingLost } from "../helpers/billing.js";
import { callToolOverHttp, spawnHttpServer } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { cliRunner, PROFILE_ARGS, startProviders, waitFor, type Providers } from "../helpers/stack.js";
import { assertInvariants, openTestLedger, sqlRows } from "../helpers/store.js";

/** Short instance timings, so a dead instance is found within about a second by its heartbeat alone. */
const QUICK = { ECN_HEARTBEAT_MS: "200", ECN_INSTANCE_TTL_MS: "1000", ECN_SWEEP_MS: "500" };

async function withKey(providers: Providers, credits: string): Promise<string> {
  const cli = cliRunner(providers.env);
  await cli("org", "create", "acme");
  await cli("credits", "grant", "--org", "acme", "--credits", credits);
  return (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
}

interface InstanceRow {
  id: string;
  pid: number | null;
  open_calls: number;
  status: string;
  why: string;
}

async function instances(providers: Providers): Promise<InstanceRow[]> {
  return JSON.parse((await cliRunner(providers.env)("instances", "--json")).stdout) as InstanceRow[];
}

describe("HTTP instances on one ledger", () => {
  it("a killed instance's calls are resolved by the survivor's sweep, without any command, each charged once", async () => {
    const providers = await startProviders({ env: QUICK });
    providers.sim.defaults.latencyMs = 300;
    const key = await withKey(providers, "500");
    const [survivor, victim] = await Promise.all([spawnHttpServer(providers.env), spawnHttpServer(providers.env)]);
    const load = [
      ...Array.from({ length: 8 }, () => callToolOverHttp(survivor.url, key, "profile_draft", PROFILE_ARGS)),
      ...Array.from({ length: 16 }, () => callToolOverHttp(victim.url, key, "profile_draft", PROFILE_ARGS)),
    ];
    const ledger = await openTestLedger(providers.target);
    // SIGKILL the victim while its calls are at the provider.
    await waitFor(async () => (await ledger.openCalls()).filter((c) => c.state === "dispatched").length >= 12); // some of them the victim's
    victim.proc.kill("SIGKILL");
    const outcomes = await Promise.all(load);
    expect(
      outcomes.slice(0, 8).every((o) => o.ok),
      JSON.stringify(outcomes.slice(0, 8)),
    ).toBe(true);
    // Nobody types reconcile: the survivor's next sweep takes them over (TTL 1 s + sweep 0.5 s; how soon is the bench's business).
    await waitFor(
      async () => (await ledger.openCalls()).length === 0,
      60_000,
      () => `open calls left; survivor log:\n${survivor.stderr()}`,
    );
    const resolved = await sqlRows(ledger, "SELECT error_message AS why FROM tool_calls WHERE error_message IS NOT NULL");
    const takenOver = resolved.filter((r) => /orphaned: its server in_\S+ \(pid \d+ on .+\) has exited/.test(String(r.why)));
    expect(takenOver.length, JSON.stringify(resolved)).toBeGreaterThanOrEqual(4);
    // The sweep logs once it has gone through every call (its last settle may land before the line is written).
    await waitFor(
      () => /orphan sweep: reconciled calls left open/.test(survivor.stderr()),
      60_000,
      () => survivor.stderr(),
    );
    await assertNothingLost(ledger, providers.sim, "after the kill");
  });

  it("a live instance's long Apify run is left to it by other instances' sweeps and by reconcile, past the TTL", async () => {
    const providers = await startProviders({ env: QUICK });
    providers.apify.defaults.holdAtItems = 0; // the run goes on, with no results page, until the test releases it
    const key = await withKey(providers, "100");
    const [owner, other] = await Promise.all([spawnHttpServer(providers.env), spawnHttpServer(providers.env)]);
    const ledger = await openTestLedger(providers.target);
    const running = callToolOverHttp(owner.url, key, "lead_signal_fetch", { query: "roofers Denver", max_results: 5 });
    await waitFor(async () => (await ledger.openCalls())[0]?.providerRefs.length === 1);
    const [call] = await ledger.openCalls();
    // Past the TTL: the other instance has swept at least once after the call was older than a TTL.
    const [{ id: otherId }] = (await sqlRows(ledger, `SELECT id FROM instances WHERE pid = ${other.proc.pid}`)) as [{ id: string }];
    const sweptPastTtl = async () =>
      (
        await sqlRows(
          ledger,
          `SELECT id FROM reconcile_runs WHERE source = 'sweep' AND instance_id = '${otherId}' AND finished_at > ${call!.createdAt + 1_000}`,
        )
      ).length > 0;
    await waitFor(sweptPastTtl, 60_000, () => other.stderr());
    const { stdout } = await cliRunner(providers.env)("reconcile", "--json");
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ action: "left_to_owner", note: match.stringMatching(/is alive \(heartbeat \d+ s ago\)/) })]);
    const standing = await instances(providers);
    expect(standing).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pid: owner.proc.pid, open_calls: 1, status: "alive" }),
        expect.objectContaining({ pid: other.proc.pid, open_calls: 0, status: "alive" }),
      ]),
    );
    providers.apify.release();
    expect(await running).toEqual({ ok: true, code: "ok" });
    const run = providers.apify.startedRuns()[0]!;
    expect(run.status).toBe("SUCCEEDED");
    expect(await ledger.openCalls()).toEqual([]);
    expect(other.stderr()).not.toMatch(/reconciled calls left open/);
    await assertInvariants(ledger);
  });

  it("`ecn-mcp instances` shows a killed instance as dead with its open calls, and a cleanly stopped one not at all", async () => {
    const providers = await startProviders();
    providers.apify.defaults.holdAtItems = 0; // still running when its server is killed, however slow the machine
    const key = await withKey(providers, "100");
    const [stopped, killed] = await Promise.all([spawnHttpServer(providers.env), spawnHttpServer(providers.env)]);
    const ledger = await openTestLedger(providers.target);
    const pending = callToolOverHttp(killed.url, key, "lead_signal_fetch", { query: "roofers Denver", max_results: 5 });
    await waitFor(async () => (await ledger.openCalls())[0]?.providerRefs.length === 1);
    killed.proc.kill("SIGKILL");
    stopped.proc.kill("SIGTERM");
    expect(await stopped.exited).toBe(0);
    await pending;
    const standing = await instances(providers);
    expect(standing).toEqual([expect.objectContaining({ pid: killed.proc.pid, open_calls: 1, status: "dead", why: match.stringMatching(/has exited/) })]);
  });
});
