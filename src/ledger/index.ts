export type * from "./store.js";
export { OPEN_STATES } from "./store.js";
export { migrateLedger, openLedger, SqliteLedger } from "./sqlite-ledger.js";
export { checkInvariants } from "./invariants.js";
export { periodStart } from "./periods.js";
export { rebuildDailyRollup } from "./rollups.js";
export { LedgerRefusal, LedgerUnavailable, storageFailure } from "./errors.js";
