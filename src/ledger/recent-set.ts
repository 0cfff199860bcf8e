/**
 * Keys seen lately, each forgotten after `ttlMs`, and at most `max` of them
 * (all are dropped when full: a hint lost costs one round trip, never a
 * wrong answer). The ledger keeps the organisations whose one-flight hold
 * was refused for a budget here, so their next holds go the full path at once.
 */
export class RecentSet {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}

  has(key: string, now: number): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    if (this.until.size >= this.max) this.until.clear();
    this.until.set(key, now + this.ttlMs);
  }
}
