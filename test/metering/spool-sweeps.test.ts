/**
 * Sweeps and spooled outcomes, against a real ledger and real journal files:
 * a dead server's journal on this machine is replayed before its calls are
 * judged (so its spooled settle, at the real cost, wins over an estimate);
 * a frozen server's journal is replayed, read-only, once it is judged dead;
 * a judge that has not seen the ledger writable for a whole TTL does not
 * trust a heartbeat's age; and `ecn-mcp reconcile` watches the ledger for a
 * TTL before judging a server by its heartbeat alone.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InstanceRecord, ToolCallRecord } from "../../src/ledger/index.js";
import { silentLogger } from "../../src/log.js";
import { LedgerWatch } from "../../src/fleet/ledger-watch.js";
import { thisProcess, type ProcessIdentity } from "../../src/fleet/liveness.js";
import { reconcileAsCommand } from "../../src/fleet/reconcile-command.js";
import { Reconciler } from "../../src/fleet/reconcile.js";
import { HostSpool } from "../../src/fleet/spool/host-spool.js";
import { Journal } from "../../src/fleet/spool/journal.js";
import { spoolLedgerName } from "../../src/fleet/spool/outcomes.js";
import { encodeHeader, encodeOutcome } from "../../src/fleet/spool/records.js";
import { priceEvent } from "../../src/metering/pricing.js";
import type { SpooledOutcome } from "../../src/metering/types.js";
import { AT_ONCE, startInProcess, type InProcess } from "../helpers/in-process.js";
import { holdRequest } from "../helpers/ledger-inputs.js";
import { match } from "../helpers/matchers.js";
import { assertInvariants, tempDir } from "../helpers/temp-ledger.js";

const me = thisProcess();
const ELSEWHERE = { host: "other-host", pid: 1, pidScope: "another-boot/pid:[1]", pidStart: "1" };
const COST = 1_234_567n; // nano-USD: $0.001234567

function instance(id: string, who: Pick<InstanceRecord, "host" | "pid" | "pidScope" | "pidStart">, heartbeatAt: number): InstanceRecord {
  return { id, ...who, kind: "http", startedAt: heartbeatAt - 60_000, heartbeatAt };
}

/** A pid that named a process of this machine a moment ago, and names none now. */
async function deadPid(): Promise<number> {
  const child = execFile(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** A call of `owner`, dispatched, its reference never stored (it went to the owner's spool). */
async function dispatchedCall(stack: InProcess, owner: string): Promise<ToolCallRecord> {
  const placed = await stack.ledger.placeHold(holdRequest(stack.org.id, 1_000_000n, { ownerInstanceId: owner, now: Date.now() }));
  if (placed.kind !== "placed") throw new Error(placed.kind);
  await stack.ledger.markDispatched(placed.call.id, Date.now());
  return placed.call;
}

/** What the owner spooled for the call: its reference, then its settle at the real cost, at the moment it ended. */
function spooledOutcomes(stack: InProcess, call: ToolCallRecord, at: number): SpooledOutcome[] {
  const ref = `gen-spooled-${call.id}`;
  const event = {
    provider: "openrouter" as const,
    model: "openai/gpt-4o-mini",
    providerRequestId: ref,
    outcome: "ok" as const,
    promptTokens: 100,
    completionTokens: 50,
    totalTokens: 150,
    costNanoUsd: COST,
    costSource: "reported" as const,
    ...priceEvent(COST, stack.pricing),
    estimated: false,
    priceUnknown: false,
    createdAt: at - 500,
  };
  return [
    { kind: "ref", callId: call.id, ref },
    { kind: "settle", callId: call.id, events: [event], result: { resultJson: '{"text":"done"}' }, now: at },
  ];
}

/** The owner's journal, as it left it, in the machine's spool directory. */
function writeJournal(dir: string, owner: string, who: ProcessIdentity, outcomes: SpooledOutcome[], ledger: string): string {
  const path = join(dir, `${owner}.journal`);
  const journal = Journal.create(path, encodeHeader({ instance: owner, ...who, ledger, createdAt: Date.now() }), 64 * 1024);
  for (const outcome of outcomes) journal.append(encodeOutcome(outcome));
  journal.close();
  return path;
}

/** This machine's spools, as another process sees them (through the other connection). */
function hostSpool(stack: InProcess, dir: string): HostSpool {
  return new HostSpool({ dir, ledgerName: spoolLedgerName(stack.target), ledger: stack.other, logger: silentLogger, identity: me, watch: new LedgerWatch() });
}

/** A reconciler with this machine's spools, working through the other connection, as another process would. */
function judge(stack: InProcess, dir: string): Reconciler {
  return new Reconciler({ ledger: stack.other, providers: {}, pricing: stack.pricing, logger: silentLogger, spool: hostSpool(stack, dir) });
}

async function expectSettledFromSpool(stack: InProcess, call: ToolCallRecord, at: number): Promise<void> {
  expect(await stack.ledger.getCall(call.id)).toMatchObject({ state: "settled", resolvedAt: at, providerRefs: [`gen-spooled-${call.id}`] });
  expect(await stack.ledger.usageEventsOfCall(call.id)).toEqual([
    expect.objectContaining({ providerRequestId: `gen-spooled-${call.id}`, costNanoUsd: COST, costSource: "reported", estimated: false, settledAt: at }),
  ]);
  await assertInvariants(stack.ledger);
}

describe.skipIf(!me.pidScope)("sweeps and spooled outcomes", () => {
  it("a dead server's journal on this machine is replayed before its calls are judged: its settle, not an estimate", async () => {
    const stack = await startInProcess();
    const dir = tempDir();
    const dead = { host: me.host, pid: await deadPid(), pidScope: me.pidScope, pidStart: "12345" };
    await stack.ledger.heartbeatInstance(instance("in_dead", dead, Date.now()));
    const call = await dispatchedCall(stack, "in_dead");
    const at = Date.now() - 1_000;
    const path = writeJournal(dir, "in_dead", dead, spooledOutcomes(stack, call, at), spoolLedgerName(stack.target));
    // Without its journal, the sweep would charge the hold as an estimate: dispatched, and no reference in the ledger.
    const report = await judge(stack, dir).run(AT_ONCE);
    expect(report.filter((r) => r.action === "estimated")).toEqual([]);
    await expectSettledFromSpool(stack, call, at);
    expect(existsSync(path), "a dead server's replayed journal is removed").toBe(false);
  });

  it("a journal for another ledger is left alone", async () => {
    const stack = await startInProcess();
    const dir = tempDir();
    const dead = { host: me.host, pid: await deadPid(), pidScope: me.pidScope, pidStart: "12345" };
    const call = await dispatchedCall(stack, "in_elsewhere");
    const path = writeJournal(dir, "in_elsewhere", dead, spooledOutcomes(stack, call, Date.now()), "sqlite:/some/other/ledger.db");
    const spool = hostSpool(stack, dir);
    expect(await spool.replay()).toBe(true);
    expect(await spool.replayOwner("in_elsewhere")).toBe(true);
    expect(spool.holds(call.id)).toBe(false);
    expect((await stack.ledger.getCall(call.id))!.state).toBe("dispatched");
    expect(existsSync(path)).toBe(true);
  });

  it("a frozen server taken for dead by its heartbeat: its journal here is replayed first, and kept for it", async () => {
    const stack = await startInProcess();
    const dir = tempDir();
    // This very process stands for the frozen server: its pid runs, its heartbeat is a minute old.
    await stack.ledger.heartbeatInstance(instance("in_frozen", me, Date.now() - 60_000));
    const call = await dispatchedCall(stack, "in_frozen");
    const at = Date.now() - 1_000;
    const path = writeJournal(dir, "in_frozen", me, spooledOutcomes(stack, call, at), spoolLedgerName(stack.target));
    const report = await judge(stack, dir).run(AT_ONCE);
    expect(report).toEqual([expect.objectContaining({ tool_call_id: call.id, action: "already_resolved", note: "its server's spooled outcome was replayed" })]);
    await expectSettledFromSpool(stack, call, at);
    expect(existsSync(path), "its writer still runs: only it removes the file").toBe(true);
  });

  it("a heartbeat's age is not trusted by a judge that has not seen the ledger writable for a whole TTL", async () => {
    const stack = await startInProcess();
    await stack.ledger.heartbeatInstance(instance("in_far", ELSEWHERE, Date.now() - 120_000));
    const call = await dispatchedCall(stack, "in_far");
    const doubted: string[] = [];
    const justBack = await stack.reconciler.run({ ...AT_ONCE, ledgerSteadyMs: 2_000, onDoubt: (id) => doubted.push(id) });
    expect(justBack).toEqual([
      expect.objectContaining({
        tool_call_id: call.id,
        action: "left_to_owner",
        note: match.stringMatching(/last sent a heartbeat 12\d s ago .* but the ledger has been writable for only 2 s as far as this process saw/),
      }),
    ]);
    expect(doubted).toEqual([call.id]);
    expect((await stack.ledger.getCall(call.id))!.state).toBe("dispatched");
    // A TTL later, with the ledger writable all along, the owner had every chance: it is dead.
    const later = await stack.reconciler.run({ ...AT_ONCE, ledgerSteadyMs: AT_ONCE.instanceTtlMs });
    expect(later).toEqual([expect.objectContaining({ tool_call_id: call.id, action: "estimated" })]);
  });

  it("`ecn-mcp reconcile` watches the ledger for a TTL before judging a server by its heartbeat: the server replays meanwhile", async () => {
    const stack = await startInProcess();
    const ttlMs = 1_500;
    const owner = instance("in_back", ELSEWHERE, Date.now() - 10_000);
    await stack.ledger.heartbeatInstance(owner);
    const call = await dispatchedCall(stack, "in_back");
    const [, settle] = spooledOutcomes(stack, call, Date.now());
    let ownerBack: Promise<unknown> | undefined;
    const logger = {
      ...silentLogger,
      // The moment the command starts waiting, the server (just reconnected) heartbeats and replays its spool.
      warn: () => {
        if (settle?.kind !== "settle") return;
        ownerBack = Promise.all([
          stack.ledger.heartbeatInstance({ ...owner, heartbeatAt: Date.now() }),
          stack.ledger.settleCall(call.id, settle.events, settle.result, settle.now),
        ]);
      },
    };
    const report = await reconcileAsCommand(
      { reconciler: stack.reconciler, ledger: stack.other, watch: new LedgerWatch(), logger, probeEveryMs: 100 },
      { ...AT_ONCE, instanceTtlMs: ttlMs },
    );
    await ownerBack;
    expect(report).toEqual([expect.objectContaining({ tool_call_id: call.id, action: "already_resolved" })]);
    expect(await stack.ledger.usageEventsOfCall(call.id)).toEqual([expect.objectContaining({ estimated: false, costNanoUsd: COST })]);
  });
});
