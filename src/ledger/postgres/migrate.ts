/**
 * Applies the committed drizzle-kit migrations (drizzle/postgres) in one
 * transaction that first takes a transaction-scoped advisory lock, so ten
 * instances starting at once apply each migration once: the first applies
 * them, the others wait, then find nothing left to do. The bookkeeping table
 * is drizzle's own (drizzle.__drizzle_migrations), so drizzle-kit tooling
 * still recognises the database.
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import type pg from "pg";
import { migrationsFolder, newestMigrationMillis } from "../migrations.js";

/** "ecn-mcp" in ASCII: the advisory lock every instance's migration takes. */
const MIGRATION_LOCK = "28548170425524080";
const LATEST_APPLIED = "SELECT max(created_at) AS latest FROM drizzle.__drizzle_migrations";

export async function applyPostgresMigrations(pool: pg.Pool): Promise<number> {
  const folder = migrationsFolder("postgres");
  const client = await pool.connect();
  try {
    // An up-to-date database (the common start) takes no lock and reads no migration file; a missing table means a new one.
    const applied = await client.query<{ latest: string | null }>(LATEST_APPLIED).then(
      ({ rows }) => Number(rows[0]?.latest ?? 0),
      () => 0,
    );
    if (applied >= newestMigrationMillis(folder)) return 0;
    const migrations = readMigrationFiles({ migrationsFolder: folder });
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE SCHEMA IF NOT EXISTS drizzle");
    await client.query("CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)");
    const { rows } = await client.query<{ latest: string | null }>(LATEST_APPLIED);
    const latest = Number(rows[0]?.latest ?? 0);
    const pending = migrations.filter((m) => m.folderMillis > latest);
    for (const migration of pending) {
      for (const statement of migration.sql) if (statement.trim()) await client.query(statement);
      await client.query("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)", [migration.hash, migration.folderMillis]);
    }
    await client.query("COMMIT");
    return pending.length;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
