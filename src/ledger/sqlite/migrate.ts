/**
 * Applies the committed drizzle-kit migrations to a SQLite ledger. drizzle's
 * own migrator reads the applied list outside its transaction, so two
 * processes starting at once could both apply the same migration; this one
 * takes the write lock first (BEGIN IMMEDIATE), then decides. It keeps
 * drizzle's bookkeeping table, so drizzle-kit tooling still recognises the
 * database.
 */
import type Database from "better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrationsFolder, newestMigrationMillis } from "../migrations.js";

const MIGRATIONS_TABLE = "__drizzle_migrations";

/** Applies pending migrations; returns how many were applied. Safe to run from many processes at once. */
export function applyMigrations(sqlite: Database.Database): number {
  const folder = migrationsFolder("sqlite");
  const latest = () => sqlite.prepare(`SELECT max(created_at) AS latest FROM ${MIGRATIONS_TABLE}`).get() as { latest: number | bigint | null };
  sqlite.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  if (Number(latest().latest ?? 0) >= newestMigrationMillis(folder)) return 0;
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const pending = (after: number) => migrations.filter((m) => m.folderMillis > after);

  const apply = sqlite.transaction(() => {
    const todo = pending(Number(latest().latest ?? 0));
    const record = sqlite.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`);
    for (const migration of todo) {
      for (const statement of migration.sql) if (statement.trim()) sqlite.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
    return todo.length;
  });
  return apply.immediate();
}
