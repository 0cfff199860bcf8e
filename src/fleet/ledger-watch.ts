/**
 * What this process has seen of the ledger's writability: since when it has
 * written without a failure. A judge of other servers needs it: a server
 * whose heartbeats could not be written during an outage is not dead, and
 * must not be taken for dead by its heartbeat's age the moment the ledger is
 * back. So a judge only counts a heartbeat's age once it has itself seen the
 * ledger writable for a whole TTL, since its own start or its last failed
 * write: by then every live server had a whole TTL to heartbeat (and to
 * replay its outcome spool) too.
 */
export class LedgerWatch {
  private since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  /** A ledger write failed (a heartbeat, a settle, a replay, a sweep). */
  failed(): void {
    this.since = this.now();
  }

  /** How long this process has seen the ledger writable without a failed write (since its start at most). */
  steadyMs(): number {
    return this.now() - this.since;
  }

  /** True once the ledger has been writable, as far as this process saw, for at least `ms`. */
  steadyFor(ms: number): boolean {
    return this.steadyMs() >= ms;
  }
}
