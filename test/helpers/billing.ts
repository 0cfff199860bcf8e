/**
 * The provider's view and the ledger's agree: each request a provider billed
 * has exactly one usage event carrying its reference, except requests whose
 * reference the caller never learned (it gave up, or died, before the
 * provider answered, and the provider worked on regardless). Those belong to
 * calls charged their hold as an estimate for want of a reference, and those
 * charges cover what was billed.
 */
import { expect } from "vitest";
import type { OpenRouterSimulator } from "../../src/simulator/openrouter.js";
import { assertInvariants, sqlRows, type TestLedger } from "./store.js";

/** `billed`: provider reference -> USD billed. Assumes markup 1.25 and $0.01 a credit ($1 = 125 credits). */
export async function assertBilledRequestsCharged(ledger: TestLedger, billed: Map<string, number>, context = ""): Promise<void> {
  const events = (await sqlRows(
    ledger,
    "SELECT provider_request_id AS ref, estimated, charged_micro_credits AS charged, cost_nano_usd AS cost FROM usage_events",
  )) as {
    ref: string | null;
    estimated: bigint;
    charged: bigint;
    cost: bigint;
  }[];
  const refs = events.flatMap((e) => (e.ref ? [e.ref] : []));
  expect(new Set(refs).size, `${context}: a reference charged twice`).toBe(refs.length);
  expect(
    refs.filter((ref) => !billed.has(ref)),
    `${context}: events for requests no provider billed`,
  ).toEqual([]);
  for (const event of events.filter((e) => e.ref && e.estimated === 0n)) {
    expect(Number(event.cost) / 1e9, `${context}: ${event.ref} recorded at the cost billed`).toBeCloseTo(billed.get(event.ref!)!, 9);
  }
  const unreferenced = [...billed].filter(([id]) => !refs.includes(id));
  const estimates = events.filter((e) => e.ref === null && e.estimated === 1n);
  expect(unreferenced.length, `${context}: billed requests without an event or an estimate`).toBeLessThanOrEqual(estimates.length);
  const billedMicro = unreferenced.reduce((sum, [, usd]) => sum + Math.ceil(usd * 125_000_000), 0);
  expect(Number(estimates.reduce((sum, e) => sum + e.charged, 0n)), `${context}: estimates below what was billed`).toBeGreaterThanOrEqual(billedMicro);
}

/** After processes were killed and their calls resolved: nothing open, no hold left, every billed request charged once, the books sound. */
export async function assertNothingLost(ledger: TestLedger, sim: OpenRouterSimulator, context: string): Promise<void> {
  expect(await ledger.openCalls(), `${context}: calls left open`).toEqual([]);
  for (const org of await ledger.listOrgs()) expect((await ledger.getWallet(org.id)).heldMicroCredits, `${context}: a hold left`).toBe(0n);
  const billed = new Map(sim.paidRequests().flatMap((r) => (r.generationId ? [[r.generationId, r.billedUsd] as [string, number]] : [])));
  await assertBilledRequestsCharged(ledger, billed, context);
  await assertInvariants(ledger);
}
