/** Where each store's committed drizzle-kit migrations are: drizzle/sqlite and drizzle/postgres, shipped with the package. */
import { existsSync } from "node:fs";
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
