/**
 * What the ledger says when it cannot do what it was asked. It speaks of the
 * ledger only (a missing row, an amount out of range, a file it cannot use);
 * turning that into what a user is told is the metering core's job.
 */

/** The request does not fit the ledger's contents or limits; nothing was changed. */
export class LedgerRefusal extends Error {
  override readonly name = "LedgerRefusal";
  constructor(
    readonly reason: "not_found" | "conflict" | "out_of_range",
    message: string,
  ) {
    super(message);
  }
}

/** The ledger cannot be read or written at all: a full disk, an I/O error, a corrupt or empty file. */
export class LedgerUnavailable extends Error {
  override readonly name = "LedgerUnavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** SQLite result codes (better-sqlite3's `error.code`, extended codes included) that mean the storage failed. */
const STORAGE_FAILURES: [prefix: string, reason: string][] = [
  ["SQLITE_FULL", "the disk is full"],
  ["SQLITE_IOERR", "the disk reported an I/O error"],
  ["SQLITE_CORRUPT", "the ledger file is corrupt"],
  ["SQLITE_NOTADB", "the ledger file is not a SQLite database (corrupt or overwritten)"],
  ["SQLITE_CANTOPEN", "the ledger file cannot be opened"],
  ["SQLITE_READONLY", "the ledger file is read-only"],
  ["SQLITE_PERM", "permission to the ledger file is denied"],
  ["SQLITE_AUTH", "permission to the ledger file is denied"],
  ["SQLITE_BUSY", "the ledger stayed locked by another process past the busy timeout"],
  ["SQLITE_LOCKED", "the ledger is locked"],
  ["SQLITE_PROTOCOL", "the ledger's lock protocol failed"],
];

/** File-system codes met while creating or opening the ledger file (only there: elsewhere they mean something else). */
const FILE_FAILURES: [code: string, reason: string][] = [
  ["ENOSPC", "the disk is full"],
  ["EDQUOT", "the disk quota is used up"],
  ["EROFS", "the ledger's file system is read-only"],
  ["EACCES", "permission to the ledger file is denied"],
  ["EPERM", "permission to the ledger file is denied"],
  ["EIO", "the disk reported an I/O error"],
  ["EISDIR", "the ledger path is a directory"],
];

function reasonFor(error: unknown, table: [string, string][]): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    const match = table.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
    if (match) return match[1];
  }
  return null;
}

/**
 * Why the storage failed, in words an operator can act on, or null when the
 * error is not a storage failure (then it is a refusal or a bug).
 */
export function storageFailure(error: unknown): string | null {
  if (error instanceof LedgerUnavailable) return error.message;
  return reasonFor(error, STORAGE_FAILURES);
}

/** Like storageFailure, and file-system errors too: for the moment the ledger file is created or opened. */
export function openFailure(error: unknown): string | null {
  return storageFailure(error) ?? reasonFor(error, FILE_FAILURES);
}
