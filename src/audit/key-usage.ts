/**
 * Snapshots of what OpenRouter says the key was billed in total, kept in the
 * ledger at every server start and every cost audit: the spend between two
 * snapshots is what the ledger's OpenRouter costs of the same interval must
 * add up to. A snapshot that cannot be taken never stops a server.
 */
import { newId } from "../ids.js";
import type { Ledger, SnapshotReason, UsageSnapshot } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { KeyUsage, OpenRouterAudit } from "../providers/openrouter-audit.js";

/** How long a server start waits for OpenRouter's answer before going on without a snapshot. */
const START_TIMEOUT_MS = 5_000;

/** Asks OpenRouter for the key's usage and records it; the time recorded is the moment just before asking. */
export async function snapshotKeyUsage(
  ledger: Ledger,
  openrouter: OpenRouterAudit,
  reason: SnapshotReason,
  now: () => number,
  timeoutMs?: number,
): Promise<{ snapshot: UsageSnapshot; usage: KeyUsage }> {
  const takenAt = now();
  const usage = await openrouter.keyUsage(timeoutMs);
  const snapshot: UsageSnapshot = { id: newId("us"), provider: "openrouter", takenAt, usageNanoUsd: usage.totalNanoUsd, reason };
  await ledger.recordUsageSnapshot(snapshot);
  return { snapshot, usage };
}

/** The server-start snapshot: a warning, never an error, when OpenRouter or the ledger cannot take it. */
export async function snapshotAtStart(ledger: Ledger, openrouter: OpenRouterAudit | undefined, logger: Logger): Promise<void> {
  if (!openrouter) return;
  try {
    await snapshotKeyUsage(ledger, openrouter, "server_start", Date.now, START_TIMEOUT_MS);
  } catch (error) {
    logger.warn("could not record OpenRouter's key usage at start (ecn-mcp audit-costs compares from the next snapshot); serving anyway", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
