/**
 * The ledger-health page: calls still open or unknown with their age and
 * owner (and whether reconcile takes the owner for alive), the server
 * instances, and what the last reconcile did.
 */
import type { Ledger } from "../ledger/index.js";
import { instanceStandings, type ProcessIdentity } from "../fleet/liveness.js";
import { microToCredits } from "../money.js";
import type { HealthPage } from "./views.js";

export async function healthPage(ledger: Ledger, identity: ProcessIdentity, instanceTtlMs: number, now: number): Promise<HealthPage> {
  const [open, standings, last] = await Promise.all([ledger.openCalls(), instanceStandings(ledger, identity, now, instanceTtlMs), ledger.lastReconcile()]);
  const byId = new Map(standings.map((s) => [s.id, s]));
  return {
    open_calls: open
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((call) => {
        const owner = call.ownerInstanceId === null ? undefined : byId.get(call.ownerInstanceId);
        return {
          id: call.id,
          org_id: call.orgId,
          feature: call.feature,
          state: call.state,
          age_seconds: Math.max(0, Math.round((now - call.createdAt) / 1000)),
          hold_credits: microToCredits(call.holdMicroCredits),
          owner: call.ownerInstanceId,
          owner_status: owner ? (owner.alive ? "alive" : "dead") : "none",
          why: owner?.why ?? "no recorded owner: reconcile applies its deadlines",
        };
      }),
    counts: { open: open.length, unknown: open.filter((c) => c.state === "unknown").length },
    instances: standings.map(({ id, kind, host, pid, openCalls, alive, why }) => ({ id, kind, host, pid, openCalls, alive, why })),
    last_reconcile: last ? { at: new Date(last.finishedAt).toISOString(), source: last.source, instance_id: last.instanceId, summary: last.summary } : null,
  };
}
