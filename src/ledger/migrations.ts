/** Where each store's committed drizzle-kit migrations are: drizzle/sqlite and drizzle/postgres, shipped with the package. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dialect } from "./sql.js";

/** The migrations folder of a store, found by walking up from this file (src/ or dist/). */
export function migrationsFolder(dialect: Dialect): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "drizzle", dialect);
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the drizzle/${dialect} migrations folder next to the installed package`);
}

/**
 * When the newest committed migration of a folder was made (drizzle-kit's journal): a ledger
 * whose last applied migration is this one is up to date without reading and hashing every
 * migration file, which is most of a CLI verb's ledger opening.
 */
export function newestMigrationMillis(folder: string): number {
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  return Math.max(0, ...journal.entries.map((entry) => entry.when));
}
