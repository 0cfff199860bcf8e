/**
 * What one paid call costs the store, counted rather than timed: round trips
 * to PostgreSQL (flights of statements sent together and waited for), and
 * durable write transactions on SQLite. With the read cache serving, the
 * API key, the rate card and the model's price are not read again.
 */
import { describe, expect, it } from "vitest";
import type { PostgresLedger, SqliteLedger } from "../../src/ledger/index.js";
import { startInProcess, type InProcess } from "../helpers/in-process.js";
import { assertInvariants } from "../helpers/temp-ledger.js";
import { waitFor } from "../helpers/wait.js";

/** PostgreSQL: round trips so far. SQLite: write transactions so far (each durable before it is acknowledged). */
function counter(stack: InProcess): () => number {
  const { ledger } = stack;
  return ledger.engine.dialect === "postgres"
    ? () => (ledger as PostgresLedger).engine.stats.flights
    : () => (ledger as SqliteLedger).engine.commits.stats.writes;
}

const llmCall = (stack: InProcess) =>
  stack.metering.runLlm({ org: stack.org, feature: "profile_draft", args: {}, promptText: "hello" }, async (session) => {
    return (await session.chat([{ role: "user", content: "hello" }])).text;
  });

const actorCall = (stack: InProcess) =>
  stack.metering.runActor({ org: stack.org, feature: "lead_signal_fetch", args: {} }, async (session) => {
    return (await session.run({ queries: "roofers Denver" }, { maxItems: 1, onProgress: async () => undefined })).runId;
  });

/** A stack whose read cache serves (as a server's does), warmed by one call of each kind. */
async function warmStack(): Promise<InProcess> {
  const stack = await startInProcess({ credits: 1_000_000_000n });
  await stack.ledger.startCache({ ttlMs: 60_000, note: () => undefined });
  await waitFor(() => stack.ledger.cache.serving);
  await actorCall(stack);
  // The first call fetches the model price list, a write whose own notification (on PostgreSQL) drops the cached
  // prices once more when it comes back: warm until two calls in a row cost the same.
  for (let last = -1, calls = 0; calls < 10; calls++) {
    const now = await cost(stack, () => llmCall(stack));
    if (now === last) break;
    last = now;
  }
  return stack;
}

async function cost(stack: InProcess, call: () => Promise<unknown>): Promise<number> {
  const count = counter(stack);
  const before = count();
  await call();
  return count() - before;
}

const postgres = (stack: InProcess) => stack.ledger.engine.dialect === "postgres";

describe("a paid call's round trips", () => {
  it("an LLM call whose answer arrives whole: PostgreSQL 4 round trips; SQLite 3 durable writes (hold, dispatch mark, settle)", async () => {
    const stack = await warmStack();
    expect(await cost(stack, () => llmCall(stack))).toBe(postgres(stack) ? 4 : 3);
    await assertInvariants(stack.ledger);
  });

  it("an LLM call still streaming when its reference arrives: one more, the reference on its own", async () => {
    const stack = await warmStack();
    const release = stack.sim.pauseStreams();
    const counted = cost(stack, () => llmCall(stack));
    await waitFor(async () => (await stack.other.openCalls()).some((call) => call.providerRefs.length > 0)); // read elsewhere: not counted
    release();
    expect(await counted).toBe(postgres(stack) ? 5 : 4);
  });

  it("an Apify run: PostgreSQL 5 round trips; SQLite 4 durable writes (hold, dispatch mark, run id, settle)", async () => {
    const stack = await warmStack();
    expect(await cost(stack, () => actorCall(stack))).toBe(postgres(stack) ? 5 : 4);
    await assertInvariants(stack.ledger);
  });

  it("an organisation with a budget: its first hold tries the one flight and learns why not; the next go the full path at once", async () => {
    const stack = await warmStack();
    const steady = await cost(stack, () => llmCall(stack));
    await stack.ledger.setBudget({ orgId: stack.org.id, feature: null, period: "day", limitMicroCredits: 1_000_000_000n, hard: true }, Date.now());
    // The full hold: the wallet locked and the budgets read, then the hold with the COMMIT (PostgreSQL 3 round trips
    // instead of 1); the first also pays for the refused one-flight attempt (one more on either store).
    const full = postgres(stack) ? 2 : 0;
    expect(await cost(stack, () => llmCall(stack))).toBe(steady + full + 1);
    expect(await cost(stack, () => llmCall(stack))).toBe(steady + full);
    const [standing] = await stack.ledger.budgetStandings(stack.org.id, Date.now());
    expect(standing!.usedMicroCredits).toBeGreaterThan(0n); // the budget counted both calls
    await assertInvariants(stack.ledger);
  });
});
