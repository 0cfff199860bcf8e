/**
 * The ledger's real state, for `GET /healthz`: a durable one-row commit
 * proves it can still be written (a full disk, an I/O error or a read-only
 * file fail it), and a periodic integrity check from a fresh connection
 * proves the file still reads back (a live connection keeps serving pages
 * from its cache long after the file under it was damaged).
 */
import { storageFailure } from "../ledger/errors.js";
import type { Ledger } from "../ledger/index.js";

export interface HealthReport {
  status: "ok" | "unavailable";
  /** "writable", or why the ledger cannot be used. */
  ledger: string;
  checked_at: string;
}

/** A full integrity pass reads the whole file: at most this often. */
const INTEGRITY_EVERY_MS = 60_000;
/** Health checks arrive often; within this window the last answer stands. */
const REPORT_TTL_MS = 1_000;

export class LedgerHealth {
  private last: { at: number; report: HealthReport } | null = null;
  private integrity: { at: number; problem: string | null } | null = null;
  private running: Promise<HealthReport> | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  check(): Promise<HealthReport> {
    const now = this.now();
    if (this.last && now - this.last.at < REPORT_TTL_MS) return Promise.resolve(this.last.report);
    this.running ??= this.probe(now).finally(() => (this.running = null));
    return this.running;
  }

  private async probe(now: number): Promise<HealthReport> {
    let problem: string | null;
    try {
      await this.ledger.checkWritable(now);
      if (!this.integrity || now - this.integrity.at >= INTEGRITY_EVERY_MS || this.integrity.problem) {
        this.integrity = { at: now, problem: await this.ledger.checkIntegrity() };
      }
      problem = this.integrity.problem;
    } catch (error) {
      problem = storageFailure(error) ?? `the ledger check failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const report: HealthReport = { status: problem ? "unavailable" : "ok", ledger: problem ?? "writable", checked_at: new Date(now).toISOString() };
    this.last = { at: now, report };
    return report;
  }
}
