/**
 * Whose call is it? The reconciler's verdict on a call's owner, against a
 * real ledger: a live owner keeps its calls however long they run; a dead one
 * (process gone, pid reused, heartbeat stale, deregistered) has them resolved
 * at once; a reference the provider never recognises is charged its hold
 * once it is old enough, so nothing stays open forever.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { InstanceRecord } from "../../src/ledger/index.js";
import { thisProcess } from "../../src/fleet/liveness.js";
import { AT_ONCE, startInProcess, type InProcess } from "../helpers/in-process.js";
import { holdRequest } from "../helpers/ledger-inputs.js";
import { match } from "../helpers/matchers.js";
import { assertInvariants } from "../helpers/temp-ledger.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const me = thisProcess();

function owner(id: string, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  const now = Date.now();
  return { id, host: me.host, pid: me.pid, pidScope: me.pidScope, pidStart: me.pidStart, kind: "http", startedAt: now - HOUR, heartbeatAt: now, ...extra };
}

/** An open call of `ownerId`, held at `at` and, if asked, dispatched then with a provider reference. */
async function openCall(stack: InProcess, ownerId: string | null, options: { at?: number; ref?: string } = {}) {
  const at = options.at ?? Date.now();
  const placed = await stack.ledger.placeHold(holdRequest(stack.org.id, 1_000_000n, { ownerInstanceId: ownerId, now: at }));
  if (placed.kind !== "placed") throw new Error(placed.kind);
  if (options.ref) {
    await stack.ledger.markDispatched(placed.call.id, at);
    await stack.ledger.addProviderRef(placed.call.id, options.ref);
  }
  return placed.call;
}

describe.skipIf(!me.pidScope)("the owner of an open call", () => {
  it("alive: its calls are left to it, however long they have been open", async () => {
    const stack = await startInProcess();
    await stack.ledger.heartbeatInstance(owner("in_alive"));
    const call = await openCall(stack, "in_alive", { at: Date.now() - 2 * HOUR, ref: "gen-long-running" });
    expect(await stack.reconciler.run(AT_ONCE)).toEqual([
      expect.objectContaining({ tool_call_id: call.id, action: "left_to_owner", owner_instance_id: "in_alive", note: match.stringMatching(/is alive/) }),
    ]);
    expect((await stack.ledger.getCall(call.id))!.state).toBe("dispatched");
    // The sweeping server's own calls are its own business too.
    expect(await stack.reconciler.run({ ...AT_ONCE, selfInstanceId: "in_alive" })).toEqual([
      expect.objectContaining({ action: "left_to_owner", note: "this server owns it" }),
    ]);
  });

  it("this server, sweeping: a call it still works on is left; one it gave up on (its settle could not be written) is resolved", async () => {
    const stack = await startInProcess();
    await stack.ledger.heartbeatInstance(owner("in_self"));
    const working = await openCall(stack, "in_self", { ref: "gen-still-working" });
    const givenUp = await openCall(stack, "in_self");
    const report = await stack.reconciler.run({ ...AT_ONCE, selfInstanceId: "in_self", selfMayResolve: (id) => id === working.id });
    expect(report).toHaveLength(2);
    expect(report).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tool_call_id: working.id, action: "left_to_owner", note: "this server owns it" }),
        expect.objectContaining({ tool_call_id: givenUp.id, action: "voided", note: match.stringMatching(/^orphaned: this server gave up on it/) }),
      ]),
    );
  });

  it("pid reused: a row whose pid now belongs to another process is dead", async () => {
    const stack = await startInProcess();
    // This very process holds the pid, but it started at another moment than the instance recorded.
    await stack.ledger.heartbeatInstance(owner("in_reused", { pidStart: String(Number(me.pidStart) - 1) }));
    const call = await openCall(stack, "in_reused");
    expect(await stack.reconciler.run(AT_ONCE)).toEqual([
      expect.objectContaining({ tool_call_id: call.id, action: "voided", note: match.stringMatching(/^orphaned: .*pid \d+ now belongs to another process/) }),
    ]);
    expect(await stack.ledger.getWallet(stack.org.id)).toMatchObject({ heldMicroCredits: 0n });
  });

  it("process gone: a fresh heartbeat does not save an owner whose pid has exited on this machine", async () => {
    const stack = await startInProcess();
    const child = execFile(process.execPath, ["-e", ""]);
    await new Promise((resolve) => child.once("exit", resolve)); // exited, and reaped by node
    await stack.ledger.heartbeatInstance(owner("in_exited", { pid: child.pid!, pidStart: "12345" }));
    const call = await openCall(stack, "in_exited");
    expect(await stack.reconciler.run(AT_ONCE)).toEqual([
      expect.objectContaining({ tool_call_id: call.id, action: "voided", note: match.stringMatching(/has exited/) }),
    ]);
  });

  it("on another machine: judged by its heartbeat alone", async () => {
    const stack = await startInProcess();
    const elsewhere = { host: "other-host", pid: 1, pidScope: "another-boot/pid:[1]", pidStart: "1" };
    await stack.ledger.heartbeatInstance(owner("in_far_alive", elsewhere));
    await stack.ledger.heartbeatInstance(owner("in_far_stale", { ...elsewhere, heartbeatAt: Date.now() - AT_ONCE.instanceTtlMs - 1_000 }));
    const kept = await openCall(stack, "in_far_alive");
    const orphan = await openCall(stack, "in_far_stale");
    const report = await stack.reconciler.run(AT_ONCE);
    expect(report).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tool_call_id: kept.id, action: "left_to_owner" }),
        expect.objectContaining({
          tool_call_id: orphan.id,
          action: "voided",
          note: match.stringMatching(/last sent a heartbeat 3\d s ago \(the limit is 30 s\)/),
        }),
      ]),
    );
    // The stale row owns nothing any more and is gone; the live one stays.
    expect((await stack.ledger.listInstances()).map((i) => i.id)).toEqual(["in_far_alive"]);
  });

  it("frozen past the TTL: its row is pruned once its calls are resolved, and its next heartbeat puts the row back", async () => {
    const stack = await startInProcess();
    const frozen = owner("in_frozen", { heartbeatAt: Date.now() - 60_000 });
    await stack.ledger.heartbeatInstance(frozen);
    const call = await openCall(stack, "in_frozen");
    // Alive by its pid (this process), dead by its heartbeat: the heartbeat decides.
    expect(await stack.reconciler.run(AT_ONCE)).toEqual([expect.objectContaining({ tool_call_id: call.id, action: "voided" })]);
    expect(await stack.ledger.listInstances()).toEqual([]);
    await stack.ledger.heartbeatInstance({ ...frozen, heartbeatAt: Date.now() });
    expect(await stack.ledger.listInstances()).toEqual([expect.objectContaining({ id: "in_frozen", startedAt: frozen.startedAt })]);
    // The call it held was voided meanwhile: its request can no longer be sent.
    expect(await stack.ledger.markDispatched(call.id, Date.now())).toBe(false);
  });

  it("deregistered: a clean shutdown's leftover calls are resolved at once", async () => {
    const stack = await startInProcess();
    await stack.ledger.heartbeatInstance(owner("in_gone"));
    const call = await openCall(stack, "in_gone");
    await stack.ledger.deregisterInstance("in_gone");
    expect(await stack.reconciler.run(AT_ONCE)).toEqual([
      expect.objectContaining({ tool_call_id: call.id, action: "voided", note: match.stringMatching(/has shut down/) }),
    ]);
  });
});

describe("a reference the provider never recognises", () => {
  it("stays open, as unknown, until the unknown-age limit; then it is charged its hold, flagged estimated", async () => {
    const stack = await startInProcess();
    const young = await openCall(stack, "in_dead", { ref: "gen-nobody-knows-1" });
    const old = await openCall(stack, "in_dead", { at: Date.now() - 8 * DAY, ref: "gen-nobody-knows-2" });
    const report = await stack.reconciler.run(AT_ONCE);
    expect(report).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tool_call_id: young.id,
          action: "left_unknown",
          note: match.stringMatching(/does not know generation gen-nobody-knows-1.*charged its hold after 7 days/),
        }),
        expect.objectContaining({
          tool_call_id: old.id,
          action: "estimated",
          credits_charged: 1,
          note: match.stringMatching(/does not know generation gen-nobody-knows-2 \(yet\) after 8 days/),
        }),
      ]),
    );
    expect((await stack.ledger.getCall(young.id))!.state).toBe("unknown");
    const [event] = await stack.ledger.usageEventsOfCall(old.id);
    expect(event).toMatchObject({ estimated: true, providerRequestId: "gen-nobody-knows-2", chargedMicroCredits: 1_000_000n });
    expect(await stack.ledger.getWallet(stack.org.id)).toMatchObject({ heldMicroCredits: 1_000_000n, balanceMicroCredits: 9_000_000n });
    await assertInvariants(stack.ledger);
  });
});
