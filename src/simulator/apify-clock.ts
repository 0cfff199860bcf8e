/**
 * A simulated Apify run's own clock: time since its start (on the
 * simulator's clock: the wall clock, or a test's own), except while
 * it is held (the `holdAtItems` behaviour). A held run's time stops at the
 * moment it reached the held page and goes on from there once released, so a
 * test can look at a run in progress for as long as it needs, on a machine
 * however busy, instead of racing the wall clock.
 */
export class RunClock {
  private hold: { atMs: number; releasedAt: number | null } | null = null;

  constructor(
    readonly startedAt: Date,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stops the run's time at `atMs` until `release()`. */
  holdAt(atMs: number): void {
    this.hold = { atMs, releasedAt: null };
  }

  /** Lets a held run go on from where it stopped. */
  release(): void {
    if (this.hold && this.hold.releasedAt === null) this.hold.releasedAt = this.now();
  }

  /** The run's own time at `now`: time since start, less the time it stood held. */
  elapsed(now: number): number {
    const t = now - this.startedAt.getTime();
    if (!this.hold) return t;
    const { atMs, releasedAt } = this.hold;
    if (releasedAt === null) return Math.min(t, atMs);
    const releasedT = releasedAt - this.startedAt.getTime();
    return releasedT <= atMs ? t : atMs + (t - releasedT);
  }

  /** The wall-clock moment of the run's own time `ms`. */
  wallAt(ms: number): number {
    const start = this.startedAt.getTime();
    const hold = this.hold;
    if (!hold || hold.releasedAt === null || ms <= hold.atMs) return start + ms;
    return start + ms + Math.max(0, hold.releasedAt - start - hold.atMs);
  }
}
