import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end files spawn servers and child processes: keep the two cores
    // of a CI machine from being oversubscribed.
    maxWorkers: 2,
    // Every random choice comes from one printed seed, so any failure replays.
    globalSetup: ["test/helpers/global-seed.ts"],
    setupFiles: ["test/helpers/seeded.ts"],
  },
});
