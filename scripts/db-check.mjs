// @ts-check
/**
 * `npm run db:check`: the committed migrations are complete. For each store,
 * drizzle-kit generates from the schema into a temporary copy of the store's
 * migrations folder; any file it adds or changes is a schema change without
 * its migration (run `npm run db:generate` and commit what it writes). The
 * working tree is never written to, and the copy is removed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const drizzleKit = join(root, "node_modules", ".bin", "drizzle-kit");
const STORES = [
  { dialect: "sqlite", schema: "src/ledger/sqlite/schema.ts", folder: "drizzle/sqlite" },
  // The ledger's schema, and the PostgreSQL-only rate limit counters (kept out of schema.ts: not part of the ledger), as drizzle.postgres.config.ts lists them.
  { dialect: "postgresql", schema: "src/ledger/postgres/schema{,-limits}.ts", folder: "drizzle/postgres" },
];

/** Every file under a folder, by path relative to it, with its contents. */
function filesOf(folder) {
  /** @type {Map<string, string>} */
  const files = new Map();
  const walk = (/** @type {string} */ dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(folder, path), readFileSync(path, "utf8"));
    }
  };
  walk(folder);
  return files;
}

let failed = false;
const temp = mkdtempSync(join(tmpdir(), "ecn-db-check-"));
try {
  for (const store of STORES) {
    const committed = join(root, store.folder);
    const copy = join(temp, store.dialect);
    cpSync(committed, copy, { recursive: true });
    // stdin closed: a question drizzle-kit would ask (a rename?) is itself a schema change, and must not hang CI.
    // drizzle-kit takes --out relative to the working directory (an absolute path is read as one).
    const run = spawnSync(drizzleKit, ["generate", "--dialect", store.dialect, "--schema", store.schema, "--out", relative(root, copy)], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    // drizzle-kit can report an error and still exit 0: only its own "nothing to migrate" (or new files) is an answer.
    if (run.status !== 0 || (!output.includes("No schema changes") && filesOf(copy).size === filesOf(committed).size)) {
      failed = true;
      console.error(`${store.folder}: drizzle-kit generate failed (${run.error?.message ?? `exit ${run.status}`}):\n${output}`);
      continue;
    }
    const before = filesOf(committed);
    const after = filesOf(copy);
    const added = [...after.keys()].filter((file) => !before.has(file));
    const changed = [...after.keys()].filter((file) => before.has(file) && before.get(file) !== after.get(file));
    if (added.length || changed.length) {
      failed = true;
      console.error(
        `${store.folder}: the schema (${store.schema}) has changes without a migration; drizzle-kit would write ` +
          [...added.map((f) => `${f} (new)`), ...changed.map((f) => `${f} (changed)`)].join(", ") +
          ". Run `npm run db:generate` and commit the migration.",
      );
    } else console.log(`${store.folder}: migrations match the schema`);
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
