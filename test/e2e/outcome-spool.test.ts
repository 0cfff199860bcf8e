/**
 * Provider answers that arrive while the ledger cannot be written (PostgreSQL
 * stopped in the postgres project, a really full disk under a SQLite ledger
 * in the sqlite project) are kept in the server's outcome spool and replayed
 * once the ledger is back: every call is charged its real provider cost,
 * with its provider id, never an estimate, and `audit-costs` finds a gap of
 * exactly 0. Also: a server killed during the outage has its spool replayed
 * by its successor before it serves (a torn last record is skipped with a
 * warning, nothing before it lost); and another instance's sweep, right
 * after the outage, leaves the first instance's spooled calls alone.
 *
 * The simulated OpenRouter holds its answers until the ledger is cut, then
 * lets them go: 20 answers in flight, as in the reported incident.
 */
import { openSync, writeSync, closeSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJournal } from "../../src/fleet/spool/journal.js";
import { decodeOutcome } from "../../src/fleet/spool/records.js";
import { spawnHttpServer, type HttpServerProcess } from "../helpers/http-stack.js";
import { logLine } from "../helpers/logs.js";
import { OUTAGE_AVAILABLE, startOutage, type Outage } from "../helpers/outage.js";
import { cliRunner, PROFILE_ARGS, startProviders, waitFor, type Providers } from "../helpers/stack.js";
import { assertInvariants, openTestLedger, sqlRows, type TestLedger } from "../helpers/store.js";

/** Heartbeats and sweeps quick enough for a test; the TTL well above both. */
const QUICK = { ECN_HEARTBEAT_MS: "200", ECN_INSTANCE_TTL_MS: "3000", ECN_SWEEP_MS: "200" };

const outages: Outage[] = [];
const servers: HttpServerProcess[] = [];
afterEach(async () => {
  // The servers go before the file system or database under them.
  for (const server of servers.splice(0)) {
    if (server.proc.exitCode === null && server.proc.signalCode === null) {
      server.proc.kill("SIGCONT");
      server.proc.kill("SIGKILL");
    }
    await server.exited;
  }
  for (const outage of outages.splice(0)) await outage.close();
});

interface Answer {
  error?: string;
  metering?: { tool_call_id: string; credits_charged: number; cost_usd: number; charge_pending?: boolean; note?: string };
}

/** One paid call over HTTP, with its structured result (or the error code it ended in). */
async function draft(url: string, key: string): Promise<Answer> {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE_ARGS } }),
  });
  const text = await response.text();
  if (response.status !== 200) return { error: `http_${response.status}` };
  const message = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { result?: { isError?: boolean; content: { text: string }[]; structuredContent?: Answer } })
    .find((m) => m.result)!;
  const result = message.result!;
  return result.isError ? { error: result.content[0]!.text } : result.structuredContent!;
}

interface Setup {
  outage: Outage;
  providers: Providers;
  key: string;
  ledger: TestLedger;
}

async function setUp(): Promise<Setup> {
  const outage = await startOutage();
  outages.push(outage);
  const providers = await startProviders({ fresh: outage.fresh, env: QUICK });
  const cli = cliRunner(providers.env);
  await cli("org", "create", "acme");
  await cli("credits", "grant", "--org", "acme", "--credits", "200");
  const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
  return { outage, providers, key, ledger: await openTestLedger(outage.fresh.target) };
}

async function serve(setup: Setup, env: Record<string, string> = {}): Promise<HttpServerProcess> {
  const server = await spawnHttpServer({ ...setup.providers.env, ...env });
  servers.push(server);
  return server;
}

/** `count` paid calls whose answers the provider holds until the ledger is cut; their answers once it is, and when it was cut. */
async function answersDuringOutage(setup: Setup, server: HttpServerProcess, count: number): Promise<{ answers: Answer[]; cutAt: number }> {
  const release = setup.providers.sim.hold();
  const calls = Array.from({ length: count }, () => draft(server.url, setup.key));
  await waitFor(() => setup.providers.sim.paidRequests().length === count, 30_000);
  await setup.outage.cut(setup.ledger);
  const cutAt = Date.now();
  await waitFor(async () => (await fetch(`${server.url}/healthz`)).status === 503, 30_000);
  release();
  return { answers: await Promise.all(calls), cutAt };
}

/** Every call charged once, at what OpenRouter billed, with its generation id; no estimate anywhere. */
async function assertChargedAtRealCost(setup: Setup, context: string): Promise<void> {
  const billed = new Map(setup.providers.sim.paidRequests().map((r) => [r.generationId!, r.billedUsd]));
  const events = (await sqlRows(
    setup.ledger,
    "SELECT provider_request_id AS ref, cost_nano_usd AS cost, estimated, cost_source FROM usage_events ORDER BY provider_request_id",
  )) as { ref: string | null; cost: bigint; estimated: bigint; cost_source: string }[];
  expect(
    events.filter((e) => e.estimated !== 0n || e.ref === null),
    `${context}: estimated or unreferenced events`,
  ).toEqual([]);
  expect(events.map((e) => e.ref).sort(), `${context}: one event per billed request`).toEqual([...billed.keys()].sort());
  for (const e of events) expect(Number(e.cost) / 1e9, `${context}: ${e.ref} at its billed cost`).toBeCloseTo(billed.get(e.ref!)!, 9);
  expect(await setup.ledger.openCalls(), `${context}: calls left open`).toEqual([]);
  await assertInvariants(setup.ledger);
}

/** `ecn-mcp audit-costs`: OpenRouter's bill and the ledger agree to the nano-dollar. */
async function assertAuditGapZero(setup: Setup): Promise<void> {
  const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const { stdout } = await cliRunner(setup.providers.env)("audit-costs", "--since", since, "--provider", "openrouter", "--json");
  const report = JSON.parse(stdout) as { ok: boolean; providers: { provider: string; gap_usd: number; estimated: { events: number }; open_calls: number }[] };
  expect(report.ok).toBe(true);
  expect(report.providers[0]).toMatchObject({ provider: "openrouter", gap_usd: 0, estimated: { events: 0 }, open_calls: 0 });
}

function expectPending(answers: Answer[]): void {
  for (const answer of answers) {
    expect(answer.error, "the work was done: a result, not an error").toBeUndefined();
    expect(answer.metering).toMatchObject({ charge_pending: true, note: expect.stringMatching(/recorded once the ledger is back/) as unknown });
    expect(answer.metering!.credits_charged).toBeGreaterThan(0);
  }
}

const journalOf = (setup: Setup) => readdirSync(setup.outage.spoolDir).filter((name) => name.endsWith(".journal"));

describe.skipIf(!OUTAGE_AVAILABLE)("the outcome spool", () => {
  it("20 answers arriving while the ledger cannot be written: each charged its real cost with its provider id once it is back; audit gap 0", async () => {
    const setup = await setUp();
    const server = await serve(setup);
    // One of them fails after the model began (billed for its partial work): an error whose charge is pending too.
    setup.providers.sim.behave({ inBandError: "upstream overloaded" });
    const { answers } = await answersDuringOutage(setup, server, 20);
    const failed = answers.filter((a) => a.error);
    expect(failed).toEqual([
      { error: expect.stringMatching(/^provider_error: .* costs [\d.]+ credits \(call tc_\w+\); the ledger cannot be written right now/) as unknown },
    ]);
    expectPending(answers.filter((a) => !a.error));
    // Still unwritable: what the answers promise is on the spool's disk, synced (a reference and a settle per call).
    const [journal] = journalOf(setup);
    const kinds = readJournal(join(setup.outage.spoolDir, journal!))
      .records.slice(1)
      .map((r) => decodeOutcome(r.payload)?.kind);
    expect(kinds.filter((k) => k === "ref")).toHaveLength(20);
    expect(kinds.filter((k) => k === "settle")).toHaveLength(20);

    await setup.outage.restore();
    await waitFor(
      async () => (await setup.ledger.openCalls().catch(() => [null])).length === 0,
      30_000,
      () => server.stderr(),
    );
    await assertChargedAtRealCost(setup, "after the outage");
    // What each answer said it would charge is what was charged.
    for (const answer of answers.filter((a) => !a.error)) {
      const [event] = await setup.ledger.usageEventsOfCall(answer.metering!.tool_call_id);
      expect(Number(event!.chargedMicroCredits) / 1e6).toBe(answer.metering!.credits_charged);
    }
    await assertAuditGapZero(setup);
    expect(server.stderr()).toMatch(/outcome spool replayed into the ledger/);
  }, 180_000);

  it("a server killed during the outage: its successor replays the spool before it serves; a torn last record is skipped with a warning", async () => {
    const setup = await setUp();
    const first = await serve(setup);
    const { answers } = await answersDuringOutage(setup, first, 8);
    expectPending(answers);
    first.proc.kill("SIGKILL");
    await first.exited;

    // A crash in the middle of the last write: the end of its record never reached the disk.
    const path = join(setup.outage.spoolDir, journalOf(setup)[0]!);
    const records = readJournal(path).records;
    const last = records[records.length - 1]!;
    const torn = decodeOutcome(last.payload)!;
    expect(torn.kind).toBe("settle");
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(10), 0, 10, last.offset + 8 + last.payload.length - 10);
    closeSync(fd);

    await setup.outage.restore();
    const second = await serve(setup);
    // Listening: every call but the torn one's is settled already, at its real cost; the torn one has its reference.
    const billed = new Map(setup.providers.sim.paidRequests().map((r) => [r.generationId!, r.billedUsd]));
    for (const answer of answers) {
      const id = answer.metering!.tool_call_id;
      const call = (await setup.ledger.getCall(id))!;
      const events = await setup.ledger.usageEventsOfCall(id);
      if (id === torn.callId) {
        expect(call.providerRefs).toHaveLength(1);
        continue;
      }
      expect(call.state, `${id} settled before the successor served`).toBe("settled");
      expect(events).toEqual([expect.objectContaining({ costSource: "reported", estimated: false, providerRequestId: call.providerRefs[0] }) as unknown]);
      expect(Number(events[0]!.costNanoUsd) / 1e9).toBeCloseTo(billed.get(call.providerRefs[0]!)!, 9);
    }
    // (The file's name: its directory may be redacted in the log, when it happens to contain the database password.)
    expect(logLine(second.stderr(), "outcome spool: a torn or corrupt record was skipped")).toMatchObject({
      level: "warn",
      journal: expect.stringMatching(new RegExp(`${basename(path).replace(/\./g, "\\.")}$`)) as unknown,
      offset: last.offset,
    });
    // The torn call: its reference was kept, so the successor's sweep settles it at the cost OpenRouter reports.
    await waitFor(
      async () => (await setup.ledger.openCalls()).length === 0,
      30_000,
      () => second.stderr(),
    );
    expect((await setup.ledger.usageEventsOfCall(torn.callId))[0]).toMatchObject({ costSource: "lookup", estimated: false });
    await assertChargedAtRealCost(setup, "after the restart");
    await assertAuditGapZero(setup);
    expect(journalOf(setup), "the dead server's journal is gone once replayed").toHaveLength(1);
  }, 180_000);

  it("another instance's sweep right after the outage leaves the first instance's spooled calls to it", async () => {
    const setup = await setUp();
    // A spool directory each: the other instance cannot read the owner's journal, as on another machine.
    const ttlMs = 6_000;
    const timing = { ECN_INSTANCE_TTL_MS: String(ttlMs) };
    const owner = await serve(setup, { ...timing, ECN_SPOOL_DIR: `${setup.outage.spoolDir}-owner` });
    const other = await serve(setup, { ...timing, ECN_SPOOL_DIR: `${setup.outage.spoolDir}-other` });
    const { answers, cutAt } = await answersDuringOutage(setup, owner, 6);
    expectPending(answers);
    // The owner's last heartbeat is older than the TTL by now; stopped, it can neither heartbeat nor replay once the ledger is back.
    await waitFor(() => Date.now() - cutAt > ttlMs + 500, 30_000);
    owner.proc.kill("SIGSTOP");
    await setup.outage.restore();
    const restoredAt = Date.now();
    // Its row, once it reads back: a sweep may prune it for a moment (its heartbeats failed during the outage), the next heartbeat writes it again.
    let otherId: string | undefined;
    await waitFor(async () => (otherId = (await setup.ledger.listInstances().catch(() => [])).find((i) => i.pid === other.proc.pid)?.id) !== undefined, 30_000);
    // The other instance sweeps with the ledger back (twice: one sweep surely saw the owner's stale heartbeat).
    const sweepsSince = async () =>
      (await sqlRows(setup.ledger, `SELECT count(*) AS n FROM reconcile_runs WHERE instance_id = '${otherId}' AND finished_at > ${restoredAt}`))[0]!
        .n as bigint;
    await waitFor(
      async () => (await sweepsSince().catch(() => 0n)) >= 2n,
      30_000,
      () => other.stderr(),
    );
    const estimated = await sqlRows(setup.ledger, "SELECT count(*) AS n FROM usage_events WHERE estimated = 1");
    expect(estimated[0]!.n, "no estimate charged for a spooled call").toBe(0n);
    expect((await setup.ledger.openCalls()).map((c) => c.id).sort(), "left to their owner").toEqual(answers.map((a) => a.metering!.tool_call_id).sort());
    expect(other.stderr()).not.toMatch(/reconciled calls left open/);

    owner.proc.kill("SIGCONT");
    await waitFor(
      async () => (await setup.ledger.openCalls()).length === 0,
      30_000,
      () => owner.stderr(),
    );
    await assertChargedAtRealCost(setup, "after the owner replayed");
    await assertAuditGapZero(setup);
  }, 180_000);
});
