/**
 * A SQLite ledger made by an earlier release gets the migrations it lacks, and an up-to-date
 * one is opened without applying anything (the quick check reads only drizzle-kit's journal).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { describe, expect, it } from "vitest";
import { migrationsFolder } from "../../src/ledger/migrations.js";
import { applyMigrations } from "../../src/ledger/sqlite/migrate.js";
import { tempDir } from "../helpers/temp-ledger.js";

const freshFile = () => new Database(join(tempDir("migrate"), "ledger.db"));

const tables = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);

describe("SQLite migrations", () => {
  it("brings a ledger one migration behind up to date, and leaves an up-to-date one alone", () => {
    const migrations = readMigrationFiles({ migrationsFolder: migrationsFolder("sqlite") });
    const last = migrations[migrations.length - 1]!;
    const db = freshFile();
    // What the release before the last migration left: every earlier migration applied and recorded.
    db.exec("CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)");
    for (const migration of migrations.slice(0, -1)) {
      for (const statement of migration.sql) if (statement.trim()) db.exec(statement);
      db.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run(migration.hash, migration.folderMillis);
    }
    expect(tables(db)).not.toContain("payments"); // made by the last migration (billing)

    expect(applyMigrations(db)).toBe(1);
    expect(tables(db)).toContain("payments");
    const newest = db.prepare("SELECT hash, created_at FROM __drizzle_migrations ORDER BY id DESC LIMIT 1").get() as { hash: string; created_at: number };
    expect(newest).toEqual({ hash: last.hash, created_at: last.folderMillis });

    expect(applyMigrations(db)).toBe(0);
    expect(db.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: migrations.length });
    db.close();
  });
});
