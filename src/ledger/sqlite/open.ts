/**
 * Opens a ledger file with the pragmas every guarantee rests on: WAL so
 * readers never block the writer, synchronous=FULL so an acknowledged charge
 * survives power loss, foreign keys on, and a busy timeout so processes
 * sharing the file queue for the write lock instead of failing.
 *
 * A ledger is never created over something that may be a lost one: a new
 * file is made whole beside its final name and linked into place (so a
 * crash can never leave an empty file behind), and an existing empty file is
 * refused with its name, because SQLite would silently treat it as a fresh,
 * empty ledger.
 */
import { existsSync, linkSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { LedgerUnavailable, openFailure } from "../errors.js";
import { applyMigrations } from "./migrate.js";

export const BUSY_TIMEOUT_MS = 10_000;

/** Makes a new, empty ledger file at `path` atomically; a file that appeared meanwhile is left as it is. */
function createLedgerFile(path: string): void {
  const scratch = `${path}.new-${process.pid}`;
  rmSync(scratch, { force: true });
  const fresh = new Database(scratch);
  fresh.pragma("journal_mode = WAL"); // writes the header, so the file is never empty
  fresh.close();
  try {
    linkSync(scratch, path);
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  } finally {
    rmSync(scratch, { force: true });
  }
}

function openFile(path: string): Database.Database {
  if (path === ":memory:") return new Database(path);
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) createLedgerFile(path);
  else if (statSync(path).isFile() && statSync(path).size === 0) {
    throw new LedgerUnavailable(
      `the ledger file ${path} is empty (0 bytes); refusing to start a fresh ledger over what may be a lost one. ` +
        "Restore it from a backup, or delete it to start a new, empty ledger",
    );
  }
  return new Database(path, { fileMustExist: true });
}

/** Opens (creating whole, when missing) the ledger file with its pragmas, and migrates it unless told not to. */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): Database.Database {
  let sqlite: Database.Database | undefined;
  try {
    sqlite = openFile(path);
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = FULL");
    sqlite.pragma("foreign_keys = ON");
    // Integers come back as BigInt: money never passes through a float.
    sqlite.defaultSafeIntegers(true);
    if (options.migrate !== false) applyMigrations(sqlite);
    return sqlite;
  } catch (error) {
    sqlite?.close();
    if (error instanceof LedgerUnavailable) throw error;
    const reason = openFailure(error);
    if (reason) throw new LedgerUnavailable(`cannot open the ledger ${path}: ${reason}`, { cause: error });
    throw error;
  }
}

/**
 * SQLite's quick_check over the file through a new read-only connection
 * (an open connection would answer from its page cache). Null when sound.
 */
export function checkFileIntegrity(path: string): string | null {
  if (path === ":memory:") return null;
  let check: Database.Database | undefined;
  try {
    check = new Database(path, { readonly: true, fileMustExist: true });
    check.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const rows = check.pragma("quick_check(1)") as { quick_check: string }[];
    const verdict = rows[0]?.quick_check ?? "no answer";
    return verdict === "ok" ? null : `the ledger file is corrupt (${verdict})`;
  } catch (error) {
    return openFailure(error) ?? `the ledger file cannot be checked: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    check?.close();
  }
}
