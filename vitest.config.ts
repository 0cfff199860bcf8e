import { defineConfig } from "vitest/config";

/** Test files that are about one store only: they run in that store's project. */
// The browser drives the same routes whatever the store; the data they show is tested on both stores.
const SQLITE_ONLY = [
  "test/unit/**",
  "test/ledger/group-commit.test.ts",
  "test/ledger/durability.test.ts",
  "test/e2e/sqlite-ledger-file.test.ts",
  "test/e2e/dashboard-browser.test.ts",
  "test/e2e/oauth-browser.test.ts",
  "test/e2e/oauth-upstream-browser.test.ts",
  "test/e2e/oauth-mcp-remote.test.ts",
  "test/e2e/payments-browser.test.ts",
];
const POSTGRES_ONLY = ["test/e2e/postgres-*.test.ts"];
/** The install tests (the .mcpb bundle, the npm registry) check the package, not a store: they run once, with SQLite. */
const INSTALL = ["test/install/**"];

export default defineConfig({
  test: {
    // Backstops for a hang, not expectations: tests wait for events (test/helpers/wait.ts, whose own backstop is 90 s),
    // so a busy machine only makes them slower. How fast things are is `npm run bench`'s business.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // End-to-end files spawn servers and child processes: keep the two cores
    // of a CI machine from being oversubscribed (3 workers made the whole suite
    // slower on the 2-core machine: 798 s against 677 s, 2026-12-08).
    maxWorkers: 2,
    // Every random choice comes from one printed seed, so any failure replays.
    setupFiles: ["test/helpers/seeded.ts"],
    // The whole suite runs against both stores: one ledger file per test, and one database per test on a real
    // PostgreSQL server (ECN_TEST_DATABASE_URL, or one the suite starts itself and removes afterwards).
    projects: [
      {
        extends: true,
        test: {
          name: "sqlite",
          include: ["test/**/*.test.ts"],
          exclude: POSTGRES_ONLY,
          env: { ECN_TEST_STORE: "sqlite" },
          globalSetup: ["test/helpers/global-seed.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: ["test/**/*.test.ts"],
          exclude: [...SQLITE_ONLY, ...INSTALL],
          env: { ECN_TEST_STORE: "postgres" },
          globalSetup: ["test/helpers/global-seed.ts", "test/helpers/postgres-server.ts"],
        },
      },
    ],
  },
});
