/**
 * The read cache across processes: two ledgers on one store stand for two
 * servers (each has its own connections, as two processes do). What one
 * writes (a revoke, a rate card, an operator's price, a new price list)
 * reaches the other's next read, through the store's change feed; what
 * changes without telling anybody stays cached, which is how we know the
 * cache serves at all.
 */
import { describe, expect, it } from "vitest";
import type { ModelPriceRecord } from "../../src/ledger/index.js";
import { silentLogger } from "../../src/log.js";
import { ModelPrices } from "../../src/metering/model-prices.js";
import { NOW } from "../helpers/ledger-inputs.js";
import { openTestLedger, sqlExec, sqlRows, STORE, tempLedger, type TestLedger } from "../helpers/store.js";
import { waitFor } from "../helpers/wait.js";

/** Two "servers" on one store; the second caches (with a TTL no test outlives), and `notes` is what its log would say. */
async function twoServers(ttlMs = 600_000) {
  const { ledger: writer, target } = await tempLedger();
  const reader = await openTestLedger(target);
  const notes: string[] = [];
  await reader.startCache({ ttlMs, note: (on, reason) => notes.push(`${on ? "on" : "off"}: ${reason}`) });
  return { writer, reader, notes };
}

async function keyed(ledger: TestLedger) {
  const org = await ledger.createOrg("acme", NOW);
  const key = await ledger.createApiKey({ id: "key_1", orgId: org.id, name: null, prefix: "ecn_sk_abc", keyHash: "ab".repeat(32), createdAt: NOW });
  return key;
}

const list = (promptUsd: string, fetchedAt: number): ModelPriceRecord[] => [
  {
    model: "acme/model",
    promptUsd,
    completionUsd: "0.000002",
    requestUsd: "0",
    inputCacheReadUsd: "0",
    inputCacheWriteUsd: "0",
    internalReasoningUsd: "0",
    webSearchUsd: "0",
    maxCompletionTokens: null,
    fetchedAt,
  },
];

describe(`the read cache across servers (${STORE})`, () => {
  it("serves from memory what changed without a word (so it caches), and nothing at all with a TTL of 0", async () => {
    const { reader } = await twoServers();
    expect((await reader.getRateCard("profile_draft")).floorMicroCredits).toBe(1_000_000n);
    // A change on the reader's own connection, not through the ledger: neither a notification nor a foreign commit.
    await sqlExec(reader, "UPDATE rate_cards SET floor_micro_credits = 7000000 WHERE feature = 'profile_draft'");
    expect((await reader.getRateCard("profile_draft")).floorMicroCredits).toBe(1_000_000n);
    const off = await twoServers(0);
    expect((await off.reader.getRateCard("profile_draft")).floorMicroCredits).toBe(1_000_000n);
    await sqlExec(off.reader, "UPDATE rate_cards SET floor_micro_credits = 7000000 WHERE feature = 'profile_draft'");
    expect((await off.reader.getRateCard("profile_draft")).floorMicroCredits).toBe(7_000_000n);
  });

  it("refuses a key revoked by another server at its next lookup", async () => {
    const { writer, reader } = await twoServers();
    const key = await keyed(writer);
    expect((await reader.keyHolder(key.keyHash))?.key.revokedAt).toBeNull();
    expect(await writer.revokeApiKey(key.id, NOW + 1)).toBe(true);
    await waitFor(
      async () => (await reader.keyHolder(key.keyHash))?.key.revokedAt === NOW + 1,
      undefined,
      () => "the revoke never reached the other server",
    );
  });

  it("holds at a floor another server set, and prices at an operator's price another server set or removed", async () => {
    const { writer, reader } = await twoServers();
    expect((await reader.getRateCard("profile_draft")).floorMicroCredits).toBe(1_000_000n);
    expect(await reader.modelPriceOverride("acme/model")).toBeNull();
    await writer.updateRateCard("profile_draft", { floorMicroCredits: 3_000_000n }, NOW);
    await waitFor(async () => (await reader.getRateCard("profile_draft")).floorMicroCredits === 3_000_000n);
    const price = { model: "acme/model", promptUsd: "0.001", completionUsd: "0.002", requestUsd: "0", note: null, updatedAt: NOW };
    await writer.setModelPriceOverride(price);
    await waitFor(async () => (await reader.modelPriceOverride("acme/model"))?.promptUsd === "0.001");
    await writer.removeModelPriceOverride("acme/model");
    await waitFor(async () => (await reader.modelPriceOverride("acme/model")) === null);
  });

  it("prices at the list another server refreshed", async () => {
    const { writer, reader } = await twoServers();
    await writer.saveModelPrices(list("0.000001", NOW));
    const prices = new ModelPrices(reader, undefined, silentLogger, () => NOW);
    const promptOf = async () => {
      const found = await prices.lookup("acme/model");
      return found.kind === "priced" ? found.price.prompt : null;
    };
    expect(await promptOf()).toEqual({ units: 1n, scale: 6 });
    await writer.saveModelPrices(list("0.000005", NOW + 1_000));
    await waitFor(
      async () => (await promptOf())?.units === 5n,
      undefined,
      () => "the refreshed list never reached the other server",
    );
  });
});

describe("model price lists saved by two servers at once (as when instances start together)", () => {
  it("both saves succeed, and the list is whole", async () => {
    const { writer, reader } = await twoServers();
    for (let round = 0; round < 5; round++) {
      await Promise.all([writer.saveModelPrices(list("0.000001", NOW + round)), reader.saveModelPrices(list("0.000002", NOW + round))]);
    }
    const stored = await sqlRows(writer, "SELECT model FROM model_prices ORDER BY model");
    expect(stored.map((row) => row.model)).toEqual(
      list("0", NOW)
        .map((price) => price.model)
        .sort(),
    );
  });
});

describe.skipIf(STORE !== "postgres")("the read cache when its LISTEN connection drops (postgres)", () => {
  it("says so, caches nothing until it listens again, then hears changes again", async () => {
    const { writer, reader, notes } = await twoServers();
    const key = await keyed(writer);
    await waitFor(() => notes.length === 1);
    expect(notes[0]).toMatch(/^on: listening/);
    expect((await reader.keyHolder(key.keyHash))?.key.revokedAt).toBeNull();
    await sqlRows(writer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()");
    await waitFor(
      () => notes.length === 3,
      undefined,
      () => `notes: ${notes.join(" | ")}`,
    );
    expect(notes[1]).toMatch(/^off: /);
    expect(notes[2]).toMatch(/^on: listening/);
    await writer.revokeApiKey(key.id, NOW + 1);
    await waitFor(async () => (await reader.keyHolder(key.keyHash))?.key.revokedAt === NOW + 1);
  });
});
