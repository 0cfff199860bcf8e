/**
 * This server process as an instance in the ledger: registered at start,
 * a heartbeat every few seconds while it lives, removed at a clean shutdown.
 * It also sweeps for orphaned calls on a jittered timer, so that
 * with several instances they do not all sweep in step.
 */
import { newId } from "../ids.js";
import type { InstanceRecord, Ledger } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { ProcessIdentity } from "./liveness.js";

export interface InstanceDeps {
  ledger: Ledger;
  logger: Logger;
  identity: ProcessIdentity;
  kind: InstanceRecord["kind"];
  heartbeatMs: number;
  now?: () => number;
  /** Told how each heartbeat went: a failed one means the ledger cannot be written; a good one, that it can again. */
  onHeartbeat?: (written: boolean) => void;
}

export class ServerInstance {
  readonly id = newId("in");
  private readonly now: () => number;
  private readonly startedAt: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | null = null;
  private registered = false;
  private sweeping: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly deps: InstanceDeps) {
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
  }

  private record(): InstanceRecord {
    const { host, pid, pidScope, pidStart } = this.deps.identity;
    return { id: this.id, host, pid, pidScope, pidStart, kind: this.deps.kind, startedAt: this.startedAt, heartbeatAt: this.now() };
  }

  /**
   * Writes the instance's row, then keeps its heartbeat. A ledger that cannot
   * take the row does not stop the server (it answers ledger_unavailable and
   * /healthz 503 until it can): the heartbeats keep trying, and no hold is
   * placed before the row exists (see ready()).
   */
  async register(): Promise<void> {
    await this.write().catch((error: unknown) =>
      this.deps.logger.warn("cannot register this server in the ledger yet; paid calls are refused until it can", { error: String(error) }),
    );
    this.heartbeatTimer = setInterval(() => this.beat(), this.deps.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Resolves once the row exists, writing it now if needed; throws the ledger's failure otherwise. */
  async ready(): Promise<void> {
    if (!this.registered) await this.write();
  }

  private async write(): Promise<void> {
    try {
      await this.deps.ledger.heartbeatInstance(this.record());
    } catch (error) {
      // A heartbeat missed may outlive the TTL (a ledger outage): a sweep may then prune this row as a dead server's
      // while it owns no open call. The next hold writes it again first (ready()), so no call is owned by a missing row.
      this.registered = false;
      this.deps.onHeartbeat?.(false);
      throw error;
    }
    this.registered = true;
    this.deps.onHeartbeat?.(true);
  }

  private beat(): void {
    if (this.beating || this.stopped) return; // a slow ledger: one heartbeat at a time
    this.beating = this.write()
      .catch((error: unknown) => this.deps.logger.warn("heartbeat not recorded; other servers may take this one for dead", { error: String(error) }))
      .finally(() => (this.beating = null));
  }

  /** Runs `sweep` about every `everyMs` (between half and all of it, at random), one sweep at a time, until stop(). */
  sweepEvery(everyMs: number, sweep: () => Promise<unknown>): void {
    const schedule = () => {
      if (this.stopped) return;
      this.sweepTimer = setTimeout(
        () => {
          this.sweeping = sweep()
            .catch((error: unknown) => this.deps.logger.warn("orphan sweep failed", { error: String(error) }))
            .finally(() => {
              this.sweeping = null;
              schedule();
            });
        },
        everyMs * (0.5 + Math.random() / 2),
      );
      this.sweepTimer.unref();
    };
    schedule();
  }

  /**
   * A clean shutdown: no more heartbeats or sweeps, and the row goes (calls
   * still open become orphans at once), unless `deregister` says otherwise
   * (outcomes still in this server's spool: the row stays, so the server is
   * taken for dead only by its pid or its heartbeat's age, after which a
   * survivor on this machine replays the spool first).
   */
  async stop(deregister: () => Promise<boolean> = () => Promise.resolve(true)): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.sweepTimer);
    await Promise.allSettled([this.sweeping, this.beating]);
    if (!(await deregister())) return;
    await this.deps.ledger
      .deregisterInstance(this.id)
      .catch((error: unknown) =>
        this.deps.logger.warn("could not deregister; other servers will find this one dead by its heartbeat", { error: String(error) }),
      );
  }
}
