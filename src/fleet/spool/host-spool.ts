/**
 * The outcome spool of one process: what a server keeps when the ledger
 * cannot take a paid call's outcome at the moment it is known (a provider
 * reference, a settle with its real cost, a void, an `unknown`), and the
 * replay of it into the ledger.
 *
 * - Written only when a ledger write fails (the hot path never touches it):
 *   one record per outcome in the server's own journal (journal.ts),
 *   `<ECN_SPOOL_DIR>/<instance id>.journal`, synced before the caller is
 *   answered.
 * - Replayed in the order written, as soon as the ledger takes writes again:
 *   a retry with backoff while anything is pending, the next successful
 *   ledger write or heartbeat, every sweep, and every start (before the
 *   first sweep and before serving). A fully replayed journal is reset.
 * - Idempotent, whoever replays and however often: a settle or void claims
 *   only an open call (a second one changes nothing, its events are never
 *   written twice), a reference is stored once, `unknown` only marks a call
 *   still held or dispatched; each record carries the original timestamps.
 * - A dead server's journal on this machine (its process gone, by pid and
 *   start time, or the machine rebooted since) is read and replayed by
 *   whichever process here gets to it first, then removed; several may do
 *   so at once harmlessly, since each record applies once. (No claim by
 *   rename: with idempotent records a claim would only add a claimer that
 *   can itself die holding it.)
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { storageFailure, type Ledger } from "../../ledger/index.js";
import type { Logger } from "../../log.js";
import type { OutcomeSpool, SpooledOutcome } from "../../metering/types.js";
import type { LedgerWatch } from "../ledger-watch.js";
import type { ProcessIdentity } from "../liveness.js";
import { Journal } from "./journal.js";
import { applyOutcome, journalHeader, journalOutcomes, writerGone } from "./outcomes.js";
import { encodeHeader, encodeOutcome } from "./records.js";

const SUFFIX = ".journal";
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** The spool as the reconciler uses it. */
export interface SpoolView {
  /** Replays every journal this process may replay; never throws. True when nothing is left pending. */
  replay(): Promise<boolean>;
  /** True while an outcome of this call waits in a journal here. */
  holds(callId: string): boolean;
  /** Replays an owner's journal, if it is on this machine, before its calls are judged; false when the ledger refused it. */
  replayOwner(instanceId: string): Promise<boolean>;
}

export interface HostSpoolDeps {
  dir: string;
  ledgerName: string;
  ledger: Ledger;
  logger: Logger;
  identity: ProcessIdentity;
  watch: LedgerWatch;
}

interface Adopted {
  outcomes: SpooledOutcome[];
  /** Its writer is gone: the file goes once replayed. (A live writer's file is only read.) */
  removable: boolean;
}

export class HostSpool implements OutcomeSpool, SpoolView {
  private journal: Journal | null = null;
  private readonly pending: SpooledOutcome[] = [];
  private readonly adopted = new Map<string, Adopted>();
  private running: Promise<boolean> | null = null;
  private timer: { handle: NodeJS.Timeout; dueAt: number } | null = null;
  private backoffMs = FIRST_RETRY_MS;
  private closed = false;

  constructor(private readonly deps: HostSpoolDeps) {}

  /** How many outcomes of this server wait for the ledger. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Creates (and preallocates) this server's journal. A server that cannot
   * (its spool directory cannot be written) runs without one, as before
   * there was a spool: it says so loudly.
   */
  openJournal(instanceId: string, createdAt: number): void {
    const { host, pid, pidScope, pidStart } = this.deps.identity;
    const path = join(this.deps.dir, `${instanceId}${SUFFIX}`);
    try {
      this.journal = Journal.create(path, encodeHeader({ instance: instanceId, host, pid, pidScope, pidStart, ledger: this.deps.ledgerName, createdAt }));
    } catch (error) {
      this.deps.logger.error("cannot create this server's outcome spool: an outcome the ledger cannot take when it is known will be lost", {
        journal: path,
        error: String(error),
      });
    }
  }

  keep(outcome: SpooledOutcome): boolean {
    this.deps.watch.failed();
    if (!this.journal || this.closed) return false;
    try {
      this.journal.append(encodeOutcome(outcome));
    } catch (error) {
      this.deps.logger.error("the outcome spool cannot take a record (it is full and the disk has no room to grow it): this outcome is lost", {
        journal: this.journal.path,
        call: outcome.callId,
        kind: outcome.kind,
        error: String(error),
      });
      return false;
    }
    this.pending.push(outcome);
    this.deps.logger.warn("the ledger cannot be written: outcome kept in the spool, replayed when it can", { call: outcome.callId, kind: outcome.kind });
    this.schedule(this.backoffMs);
    return true;
  }

  ledgerWrote(): void {
    if (this.pending.length > 0 || this.adopted.size > 0) this.schedule(0);
  }

  holds(callId: string): boolean {
    if (this.pending.some((o) => o.callId === callId)) return true;
    for (const journal of this.adopted.values()) if (journal.outcomes.some((o) => o.callId === callId)) return true;
    return false;
  }

  replay(): Promise<boolean> {
    this.running ??= this.replayOnce().finally(() => (this.running = null));
    return this.running;
  }

  async replayOwner(instanceId: string): Promise<boolean> {
    const path = join(this.deps.dir, `${instanceId}${SUFFIX}`);
    if (path === this.journal?.path || (!this.adopted.has(path) && !existsSync(path))) return true;
    if (!this.adopted.has(path)) {
      const header = journalHeader(path);
      if (!header || header.ledger !== this.deps.ledgerName) return true;
      this.adopt(path, writerGone(header, this.deps.identity));
    }
    await this.replay();
    // A replay already under way may have passed the adopted journals before this one was added.
    if (this.adopted.has(path)) await this.replay();
    return !this.adopted.has(path);
  }

  /**
   * Stops the retries and replays once more. With nothing left pending the
   * journal is removed and true returned (the server may deregister);
   * otherwise it stays for this server's next start, or a survivor here.
   */
  async close(): Promise<boolean> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer.handle);
    this.timer = null;
    await this.replay();
    if (!this.journal) return true;
    if (this.pending.length === 0) this.journal.remove();
    else {
      this.journal.close();
      this.deps.logger.warn("the ledger still cannot be written: outcomes stay in the spool for the next start or another server on this machine", {
        journal: this.journal.path,
        outcomes: this.pending.length,
      });
    }
    return this.pending.length === 0;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    const dueAt = Date.now() + ms;
    if (this.timer && this.timer.dueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const handle = setTimeout(() => {
      this.timer = null;
      void this.replay();
    }, ms);
    handle.unref();
    this.timer = { handle, dueAt };
  }

  private async replayOnce(): Promise<boolean> {
    const done = (await this.replayOwn()) && (await this.replayAdopted());
    if (done) this.backoffMs = FIRST_RETRY_MS;
    else {
      this.deps.watch.failed();
      this.schedule(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_RETRY_MS);
    }
    return done && this.pending.length === 0 && this.adopted.size === 0;
  }

  /** This server's outcomes, oldest first; once all are in the ledger the journal is reset (nothing can be appended in between: appends are synchronous). */
  private async replayOwn(): Promise<boolean> {
    const journal = this.journal;
    if (!journal) return true;
    let replayed = 0;
    while (this.pending.length > 0) {
      if (!(await this.apply(this.pending[0]!, journal.path, "warn"))) return false;
      this.pending.shift();
      replayed++;
    }
    if (replayed === 0) return true;
    try {
      journal.reset();
    } catch (error) {
      // Replaying its records again at the next start changes nothing.
      this.deps.logger.warn("could not reset the replayed outcome spool", { journal: journal.path, error: String(error) });
    }
    this.deps.logger.info("outcome spool replayed into the ledger", { journal: journal.path, outcomes: replayed });
    return true;
  }

  /** Dead servers' journals on this machine: found, read, replayed, removed. */
  private async replayAdopted(): Promise<boolean> {
    this.adoptDeadJournals();
    for (const [path, journal] of this.adopted) {
      while (journal.outcomes.length > 0) {
        if (!(await this.apply(journal.outcomes[0]!, path, "info"))) return false;
        journal.outcomes.shift();
      }
      if (journal.removable) this.remove(path);
      this.adopted.delete(path);
      this.deps.logger.info("another server's outcome spool replayed into the ledger", { journal: path, removed: journal.removable });
    }
    return true;
  }

  private adoptDeadJournals(): void {
    let names: string[];
    try {
      names = readdirSync(this.deps.dir);
    } catch {
      return; // no spool directory yet: nobody spooled anything here
    }
    for (const name of names) {
      const path = join(this.deps.dir, name);
      // A journal whose creation was cut short never held a record (it is renamed into place whole): its space is freed.
      if (name.endsWith(`${SUFFIX}.new`) && this.staleScratch(path)) this.remove(path);
      if (!name.endsWith(SUFFIX) || path === this.journal?.path || this.adopted.has(path)) continue;
      const header = journalHeader(path);
      if (header && header.ledger === this.deps.ledgerName && writerGone(header, this.deps.identity)) this.adopt(path, true);
    }
  }

  /** A journal being created for an hour was abandoned (creation takes milliseconds). */
  private staleScratch(path: string): boolean {
    try {
      return Date.now() - statSync(path).mtimeMs > 3_600_000;
    } catch {
      return false;
    }
  }

  /** A dead server's replayed journal goes; if it cannot, replaying it again at the next chance changes nothing. */
  private remove(path: string): void {
    try {
      rmSync(path, { force: true });
    } catch (error) {
      this.deps.logger.warn("cannot remove a replayed outcome spool", { journal: path, error: String(error) });
    }
  }

  /** Reads a journal's outcomes to replay them (see journalOutcomes). */
  private adopt(path: string, removable: boolean): void {
    const outcomes = journalOutcomes(path, this.deps.logger);
    if (outcomes) this.adopted.set(path, { outcomes, removable });
  }

  /** Applies one outcome; false when the ledger still cannot be written (it stays pending). Any other failure is logged with the record and dropped. */
  private async apply(outcome: SpooledOutcome, journal: string, lateLevel: "warn" | "info"): Promise<boolean> {
    try {
      const late = await applyOutcome(this.deps.ledger, outcome);
      if (late)
        this.deps.logger[lateLevel]("a spooled outcome found its call already resolved by another process; it changed nothing", { journal, note: late });
      return true;
    } catch (error) {
      if (storageFailure(error)) return false;
      this.deps.logger.error("a spooled outcome cannot be applied and is dropped", {
        journal,
        call: outcome.callId,
        kind: outcome.kind,
        error: String(error),
        record: encodeOutcome(outcome).toString("utf8"),
      });
      return true;
    }
  }
}
