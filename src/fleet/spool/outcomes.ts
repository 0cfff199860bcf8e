/**
 * Reading journals back, and the rules around them: which ledger a journal
 * belongs to, whether its writer is gone for good, and how one outcome is
 * written into the ledger (each kind idempotent: applied once, however often
 * it is replayed, by whichever process).
 */
import { resolve } from "node:path";
import type { Ledger, LedgerTarget } from "../../ledger/index.js";
import type { Logger } from "../../log.js";
import type { SpooledOutcome } from "../../metering/types.js";
import { processState, type ProcessIdentity } from "../liveness.js";
import { readJournal, readJournalHead } from "./journal.js";
import { decodeHeader, decodeOutcome, type JournalHeader } from "./records.js";

/** The ledger as journal headers name it: a journal is only ever replayed into the ledger it was written for. */
export function spoolLedgerName(target: Pick<LedgerTarget, "databaseUrl" | "dbPath">): string {
  if (!target.databaseUrl) return `sqlite:${resolve(target.dbPath)}`;
  const url = new URL(target.databaseUrl);
  return `postgres://${url.host}${url.pathname}`;
}

/** Whether the process that wrote a journal is certainly gone: it will never replay the journal itself. */
export function writerGone(header: JournalHeader, here: ProcessIdentity): boolean {
  if (header.host !== here.host) return false;
  const state = processState(header, here);
  if (state !== "unknown") return state !== "running";
  // Another boot of this machine: every process of the earlier one is gone.
  const boot = (scope: string | null) => scope?.split("/")[0] ?? null;
  return boot(header.pidScope) !== null && boot(here.pidScope) !== null && boot(header.pidScope) !== boot(here.pidScope);
}

/** Writes one outcome into the ledger; a note when the call had already been resolved by somebody else. */
export async function applyOutcome(ledger: Ledger, outcome: SpooledOutcome): Promise<string | null> {
  switch (outcome.kind) {
    case "ref":
      await ledger.addProviderRef(outcome.callId, outcome.ref);
      return null;
    case "unknown":
      await ledger.markUnknown(outcome.callId, outcome.code, outcome.message);
      return null;
    case "settle":
    case "void": {
      const done =
        outcome.kind === "settle"
          ? await ledger.settleCall(outcome.callId, outcome.events, outcome.result, outcome.now)
          : await ledger.voidCall(outcome.callId, outcome.events, outcome.error, outcome.now);
      return done.applied ? null : `call ${outcome.callId} was already ${done.call.state}`;
    }
  }
}

/** A journal's header (whose it is), or null when it has none whole, or was removed meanwhile by another process here. */
export function journalHeader(path: string): JournalHeader | null {
  try {
    const head = readJournalHead(path);
    return head ? decodeHeader(head) : null;
  } catch {
    return null;
  }
}

/**
 * A journal's outcomes, in the order written. A torn or corrupt record is
 * skipped with a warning naming the file and offset; nothing before (or
 * after) it is lost. Null when the file cannot be read.
 */
export function journalOutcomes(path: string, logger: Logger): SpooledOutcome[] | null {
  let scan;
  try {
    scan = readJournal(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") logger.warn("cannot read an outcome spool", { journal: path, error: String(error) });
    return null;
  }
  for (const problem of scan.problems) {
    logger.warn("outcome spool: a torn or corrupt record was skipped", { journal: path, offset: problem.offset, why: problem.why });
  }
  const outcomes: SpooledOutcome[] = [];
  for (const record of scan.records) {
    if (record.offset === 0) continue; // the header
    const outcome = decodeOutcome(record.payload);
    if (outcome) outcomes.push(outcome);
    else logger.warn("outcome spool: a record that is not an outcome was skipped", { journal: path, offset: record.offset });
  }
  return outcomes;
}
