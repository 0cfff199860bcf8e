// A separate process placing and settling holds on a shared ledger (a file, or
// a PostgreSQL database), for the cross-process concurrency test. Uses the
// built ledger (dist/). With a key prefix, attempt i uses idempotency key
// prefix + i, the same in every process. It says "ready" once its ledger is
// open and starts when its stdin says "go", so every worker starts together
// however long each took to get ready.
import { once } from "node:events";
import { openLedger } from "../../dist/ledger/index.js";

const [targetJson, orgId, attemptsText, holdText, chargeText, keyPrefix] = process.argv.slice(2);
const attempts = Number(attemptsText);
const hold = BigInt(holdText);
const charge = BigInt(chargeText);
const ledger = await openLedger(JSON.parse(targetJson));

process.stdout.write("ready\n");
await once(process.stdin, "data");
process.stdin.pause();

const placed = [];
const existing = [];
const refusals = {};
const open = [];
for (let i = 0; i < attempts; i++) {
  const outcome = await ledger.placeHold({
    orgId,
    feature: "profile_draft",
    provider: "openrouter",
    deploymentMode: "hosted",
    holdMicroCredits: hold,
    walletHoldMicroCredits: hold,
    idempotencyKey: keyPrefix ? `${keyPrefix}${i}` : null,
    requestHash: "concurrency",
    markup: "1.25",
    creditUsdValue: "0.01",
    ownerInstanceId: null,
    connectionId: null,
    apiKeyId: null,
    now: Date.now(),
  });
  if (outcome.kind === "existing") {
    existing.push(outcome.call.id);
    continue;
  }
  if (outcome.kind !== "placed") {
    refusals[outcome.kind] = (refusals[outcome.kind] ?? 0) + 1;
    continue;
  }
  placed.push(outcome.call.id);
  await ledger.markDispatched(outcome.call.id, Date.now());
  // Half the calls settle at once, the rest stay open while others race.
  if (i % 2 === 0) open.push(outcome.call.id);
  else await settle(outcome.call.id);
}
for (const id of open) await settle(id);
await ledger.close();
process.stdout.write(JSON.stringify({ placed, existing, refusals }) + "\n");

async function settle(callId) {
  await ledger.settleCall(
    callId,
    [
      {
        provider: "openrouter",
        model: "m",
        providerRequestId: `gen-${callId}`,
        outcome: "ok",
        promptTokens: 1,
        completionTokens: 1,
        totalTokens: 2,
        costNanoUsd: charge * 8n,
        costSource: "reported",
        markup: "1.25",
        creditUsdValue: "0.01",
        chargedMicroCredits: charge,
        meteredMicroCredits: charge,
        estimated: false,
        priceUnknown: false,
        createdAt: Date.now(),
      },
    ],
    { resultJson: "{}" },
    Date.now(),
  );
}
