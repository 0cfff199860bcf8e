/**
 * `ecn-mcp reconcile` as a one-shot judge. A command has seen the ledger
 * writable for no time at all, so it cannot tell a server whose heartbeat is
 * old because it died from one whose heartbeats could not be written during
 * an outage that has just ended (and whose spooled outcomes are about to be
 * replayed). So when some call's owner would be judged dead by its
 * heartbeat's age alone, the command first watches the ledger stay writable
 * for a whole TTL (a durable write every heartbeat period), as a server's
 * sweep would have, and only then judges those calls.
 */
import type { Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { LedgerWatch } from "./ledger-watch.js";
import type { ReconciledCall, Reconciler, ReconcileOptions } from "./reconcile.js";

export interface CommandJudge {
  reconciler: Reconciler;
  ledger: Ledger;
  watch: LedgerWatch;
  logger: Logger;
  /** How often to prove the ledger writable while waiting. */
  probeEveryMs: number;
}

/** Watches the ledger take a durable write every `everyMs` until it has done so for `ms`; throws the ledger's failure. */
async function watchWritable(judge: CommandJudge, ms: number): Promise<void> {
  while (!judge.watch.steadyFor(ms)) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(judge.probeEveryMs, ms - judge.watch.steadyMs()))));
    try {
      await judge.ledger.checkWritable(Date.now());
    } catch (error) {
      judge.watch.failed();
      throw error;
    }
  }
}

/** One reconcile from the command line: judged at once, except owners dead by their heartbeat's age alone, judged after a TTL of watching. */
export async function reconcileAsCommand(judge: CommandJudge, options: ReconcileOptions): Promise<ReconciledCall[]> {
  const doubted = new Set<string>();
  const first = await judge.reconciler.run({ ...options, ledgerSteadyMs: judge.watch.steadyMs(), onDoubt: (id) => doubted.add(id) });
  if (doubted.size === 0) return first;
  const seconds = Math.ceil(options.instanceTtlMs / 1000);
  judge.logger.warn(
    `${doubted.size} open call(s) belong to servers whose heartbeat is older than the TTL; waiting ${seconds} s with the ledger writable ` +
      "before judging them, so a server whose heartbeats could not be written during an outage can heartbeat and replay its spool first",
  );
  await watchWritable(judge, options.instanceTtlMs);
  const second = await judge.reconciler.run({ ...options, ledgerSteadyMs: judge.watch.steadyMs() });
  const judgedLater = new Map(second.map((entry) => [entry.tool_call_id, entry]));
  const out = first.map((entry): ReconciledCall => {
    if (!doubted.has(entry.tool_call_id)) return entry;
    const later = judgedLater.get(entry.tool_call_id);
    judgedLater.delete(entry.tool_call_id);
    return later ?? { ...entry, action: "already_resolved", note: "resolved by its own server while reconcile watched the ledger" };
  });
  // Calls opened meanwhile (by live servers) are reported as the second pass found them.
  const seen = new Set(first.map((entry) => entry.tool_call_id));
  return [...out, ...[...judgedLater.values()].filter((entry) => !seen.has(entry.tool_call_id))];
}
