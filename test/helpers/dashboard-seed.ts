/**
 * A ledger with known events at known costs on known days, for the
 * dashboard's tests: two organisations with API keys, an operator token.
 * All amounts at markup 1.25 and $0.01 a credit (1 micro-credit = 8 nano-USD
 * of provider cost), unless a figure says otherwise.
 *
 * acme (grant 100 credits 10 days ago):
 *   9 days ago  profile_draft      openai/gpt-4o-mini            1 credit
 *   2 days ago  profile_draft      openai/gpt-4o-mini            2 credits
 *   1 day ago   profile_draft      openai/gpt-4o-mini            voided, 0 (the provider failed)
 *   today       lead_signal_fetch  apify/google-search-scraper   5 credits
 *   today       funnel_generate    still open, holding 3 credits
 *   -> balance 92, held 3, available 89, spend today 5 / 7 days 7 / 30 days 8.
 * globex (grant 50 credits 10 days ago):
 *   3 days ago  outreach_draft     openai/gpt-4o                 charged 1 credit for $0.10 of cost:
 *               a loss, as a ledger written by a faulty older version could hold.
 *   1 day ago   profile_draft      openai/gpt-4o-mini            2 credits for $0.01, at markup 2 (the
 *               operator raised it): profile_draft is charged at two markups in the last 7 days.
 *   -> balance 47, spend 7 days 3.
 */
import type { UsageEventInput } from "../../src/ledger/index.js";
import { startHttpStack, type HttpStack } from "./http-stack.js";
import { holdRequest, usageEvent } from "./ledger-inputs.js";

export const DAY = 86_400_000;
export const ADMIN_TOKEN = "operator-token-for-tests-0123456789";
const MICRO = 1_000_000n;

export interface SeededDashboard {
  stack: HttpStack;
  today: number;
  orgIds: { acme: string; globex: string };
  keys: { acme: string; globex: string };
}

/** UTC midnight of today; waits out the last seconds of a day so a test never straddles two. */
export async function safeToday(): Promise<number> {
  const left = DAY - (Date.now() % DAY);
  if (left < 60_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
  const now = Date.now();
  return now - (now % DAY);
}

export async function seedDashboard(): Promise<SeededDashboard> {
  const today = await safeToday();
  const stack = await startHttpStack({ orgs: {}, env: { ECN_ADMIN_TOKEN: ADMIN_TOKEN, ECN_RECONCILE_GRACE_MS: String(DAY) } }); // the open call stays open
  const { cli, ledger } = stack;
  const keys = {} as SeededDashboard["keys"];
  const orgIds = {} as SeededDashboard["orgIds"];
  for (const name of ["acme", "globex"] as const) {
    const org = await ledger.createOrg(name, today - 11 * DAY);
    orgIds[name] = org.id;
    keys[name] = (JSON.parse((await cli("key", "create", "--org", name, "--json")).stdout) as { key: string }).key;
  }
  await ledger.grantCredits(orgIds.acme, 100n * MICRO, "seed", today - 10 * DAY);
  await ledger.grantCredits(orgIds.globex, 50n * MICRO, "seed", today - 10 * DAY);

  const settle = async (orgId: string, at: number, hold: bigint, feature: string, event: UsageEventInput) => {
    const placed = await ledger.placeHold(holdRequest(orgId, hold, { feature: feature as never, provider: event.provider, markup: event.markup, now: at }));
    if (placed.kind !== "placed") throw new Error(`seed hold refused: ${placed.kind}`);
    await ledger.settleCall(placed.call.id, [{ ...event, createdAt: at }], { resultJson: "{}" }, at);
  };
  const hour = 3_600_000;
  await settle(orgIds.acme, today - 9 * DAY + hour, 3n * MICRO, "profile_draft", usageEvent(1n * MICRO));
  await settle(orgIds.acme, today - 2 * DAY + hour, 3n * MICRO, "profile_draft", usageEvent(2n * MICRO));
  const failed = await ledger.placeHold(holdRequest(orgIds.acme, 3n * MICRO, { now: today - DAY + hour }));
  if (failed.kind !== "placed") throw new Error("seed hold refused");
  await ledger.voidCall(
    failed.call.id,
    [{ ...usageEvent(0n), outcome: "failed", costNanoUsd: 0n, createdAt: today - DAY + hour }],
    { code: "provider_error", message: "upstream 502" },
    today - DAY + hour,
  );
  const apify: UsageEventInput = {
    ...usageEvent(5n * MICRO),
    provider: "apify",
    model: "apify/google-search-scraper",
    providerRequestId: "run-1",
    promptTokens: null,
    completionTokens: null,
    totalTokens: null,
  };
  // Today's two calls in the past (even just after midnight) and one after the other, so "most recent first" is certain.
  const settledAt = Math.max(today, Date.now() - 1_000);
  await settle(orgIds.acme, settledAt, 10n * MICRO, "lead_signal_fetch", apify);
  const open = await ledger.placeHold(holdRequest(orgIds.acme, 3n * MICRO, { feature: "funnel_generate", now: Math.max(Date.now(), settledAt + 1) }));
  if (open.kind !== "placed") throw new Error("seed hold refused");
  await settle(orgIds.globex, today - 3 * DAY + hour, 2n * MICRO, "outreach_draft", {
    ...usageEvent(1n * MICRO),
    model: "openai/gpt-4o",
    costNanoUsd: 100_000_000n,
  });
  await settle(orgIds.globex, today - DAY + hour, 3n * MICRO, "profile_draft", { ...usageEvent(2n * MICRO), markup: "2", costNanoUsd: 10_000_000n });
  return { stack, today, orgIds, keys };
}
