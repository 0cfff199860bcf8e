/** Server instances as the ledger keeps them: who may still resolve an open call. */

export interface InstanceRecord {
  id: string;
  /** The machine's host name, for people; `pidScope` is what pid checks trust. */
  host: string;
  pid: number;
  /** The kernel boot and pid namespace the pid belongs to (null where the system does not say). */
  pidScope: string | null;
  /** The process's start time in clock ticks since boot: a reused pid has another. */
  pidStart: string | null;
  kind: "stdio" | "http";
  startedAt: number;
  heartbeatAt: number;
}

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
