/**
 * The paid-call path's reads must not grow with an organisation's history.
 * SQLite chooses indexes without statistics, so a new index can silently
 * win a query it is bad for: a paid call once scanned every call the
 * organisation ever made to sum its open holds. These plans are pinned.
 */
import { describe, expect, it } from "vitest";
import { openHolds, openHoldsForFeature } from "../../src/ledger/core/budgets.js";
import type { SqliteLedger } from "../../src/ledger/index.js";
import { compile } from "../../src/ledger/sql.js";
import { STORE, tempLedger } from "../helpers/store.js";

describe.skipIf(STORE !== "sqlite")("query plans (SQLite)", () => {
  it("sums a budget's open holds from the open-call index, not from the organisation's whole history", async () => {
    const { ledger } = await tempLedger();
    const sqlite = (ledger as SqliteLedger).sqlite;
    for (const statement of [openHolds, openHoldsForFeature]) {
      const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${compile(statement, "sqlite").text}`).all({ orgId: "o", feature: "f" }) as { detail: string }[];
      expect(plan.map((p) => p.detail).join("; "), statement.name).toMatch(/USING INDEX tool_calls_open_idx/);
    }
  });
});
