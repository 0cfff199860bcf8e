/**
 * The calls this process is still working on. A server's own sweep uses it
 * to tell a call it will still resolve from one it gave up on (its settle
 * could not be written while the ledger was unavailable): the latter it
 * resolves like an orphan, without waiting to die first.
 */
import type { HoldOutcome } from "../ledger/index.js";

export class OwnCalls {
  private placing = 0;
  private readonly working = new Set<string>();

  /** Places a hold through `place`; while it is under way no own call counts as given up (its id is not known yet). */
  async place(place: () => Promise<HoldOutcome>): Promise<HoldOutcome> {
    this.placing++;
    try {
      const outcome = await place();
      if (outcome.kind === "placed") this.working.add(outcome.call.id);
      return outcome;
    } finally {
      this.placing--;
    }
  }

  /** The call is concluded, or abandoned: nobody in this process will resolve it any more. */
  done(callId: string): void {
    this.working.delete(callId);
  }

  /** True while this process may still resolve the call itself. */
  mayResolve(callId: string): boolean {
    return this.placing > 0 || this.working.has(callId);
  }
}
