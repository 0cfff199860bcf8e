export type * from "./store.js";
export { OPEN_STATES } from "./store.js";
export { LedgerRefusal, LedgerUnavailable, storageFailure } from "./errors.js";
export { periodStart } from "./periods.js";
export { StoreLedger } from "./ledger.js";
export { openSqliteLedger, migrateSqliteLedger, SqliteLedger } from "./sqlite/ledger.js";
export { displayUrl, openPostgresLedger, migratePostgresLedger, PostgresLedger, type PostgresOptions } from "./postgres/ledger.js";
export type { PoolStats } from "./postgres/engine.js";
export { openLedger, migrateLedger, ledgerLocation, type LedgerTarget } from "./open-any.js";
