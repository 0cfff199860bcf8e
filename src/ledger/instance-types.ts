/** Server instances as the ledger keeps them: who may still resolve an open call. */
import type { instances } from "./sqlite/schema.js";
import type { RowOf } from "./types.js";

/**
 * A server process as the instances table keeps it (see its columns): the
 * machine's host name is for people; pid_scope and pid_start are what pid
 * checks trust.
 */
export type InstanceRecord = RowOf<typeof instances>;

export interface OwnerOpenCalls {
  /** null: calls placed before instances were recorded. */
  ownerInstanceId: string | null;
  calls: number;
}

export interface InstanceRegistry {
  /** Writes the instance's row, or renews its heartbeat; puts the row back if a sweeper pruned it meanwhile. */
  heartbeatInstance(instance: InstanceRecord): Promise<void>;
  /** A clean shutdown: the row goes, and whatever the instance still owns is orphaned at once. */
  deregisterInstance(id: string): Promise<void>;
  listInstances(): Promise<InstanceRecord[]>;
  /** How many open calls each owner has. */
  openCallsByOwner(): Promise<OwnerOpenCalls[]>;
  /** Deletes rows whose heartbeat is older than `before` and that own no open call; returns how many. */
  pruneInstances(before: number): Promise<number>;
}
