#!/usr/bin/env node
/**
 * `npm run check:live`: one cheap, real request to each configured provider,
 * checking the shapes the adapters rely on. Run it with your keys before going
 * live; it never runs in CI (the tests use the loopback simulators). It spends
 * a fraction of a cent on OpenRouter (one 5-token completion, not metered:
 * it is your key's own check) and nothing on Apify (the actor is read, not run).
 *
 *  - Socrata (free, always): for each city, a permit query with every filter
 *    (proves the portal accepts the SoQL we write for its column types), and a
 *    recent-permits query whose rows must carry the columns we read.
 *  - OpenRouter (OPENROUTER_API_KEY): `/models` prices of the rate card's
 *    default model, one tiny completion's usage and cost, then the same cost
 *    from the generation endpoint.
 *  - Apify (APIFY_API_TOKEN): the lead-signal actor's pricing info and its
 *    minimum run cap, without starting a run.
 */
import { loadConfig } from "../dist/config.js";
import { createApify } from "../dist/providers/apify.js";
import { createOpenRouter } from "../dist/providers/openrouter.js";
import { PERMIT_CITIES, PERMIT_DATASETS } from "../dist/providers/permits.js";
import { createSocrata } from "../dist/providers/socrata.js";

const config = loadConfig();
let failures = 0;
const ok = (what, detail = "") => console.log(`ok    ${what}${detail ? `: ${detail}` : ""}`);
const fail = (what, why) => {
  failures++;
  console.log(`FAIL  ${what}: ${why}`);
};
const skip = (what, why) => console.log(`skip  ${what}: ${why}`);
const day = (msAgo) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

async function check(what, run) {
  try {
    const detail = await run();
    ok(what, detail);
  } catch (error) {
    fail(what, error instanceof Error ? error.message : String(error));
  }
}

async function socrata() {
  const portal = createSocrata({
    ...(config.socrata.appToken ? { appToken: config.socrata.appToken } : {}),
    ...(config.socrata.baseUrl ? { baseUrl: config.socrata.baseUrl } : {}),
  });
  for (const city of PERMIT_CITIES) {
    const label = `socrata ${city} (${PERMIT_DATASETS[city].datasetId})`;
    await check(`${label}, every filter`, async () => {
      const result = await portal.searchPermits(city, {
        issued_since: day(365 * 86_400_000),
        issued_until: day(0),
        permit_type: "e",
        min_cost: 1,
        text: "new",
        limit: 3,
      });
      return `${result.rows.length} row(s) for ${result.query}`;
    });
    await check(`${label}, recent permits carry the columns read`, async () => {
      const { rows } = await portal.searchPermits(city, { issued_since: day(60 * 86_400_000), limit: 5 });
      if (rows.length === 0) throw new Error("no permit issued in the last 60 days: is this still the current feed?");
      const missing = ["permit_number", "type", "issued_date"].filter((field) => rows.every((row) => row[field] === null));
      if (missing.length) throw new Error(`no row has ${missing.join(", ")}: the column names changed`);
      if (!rows.every((row) => row.issued_date === null || /^\d{4}-\d{2}-\d{2}$/.test(row.issued_date))) throw new Error("issued dates are not timestamps");
      return `${rows.length} rows, newest issued ${rows[0].issued_date}`;
    });
  }
}

async function openrouter() {
  if (!config.openrouter.apiKey) return skip("openrouter", "OPENROUTER_API_KEY is not set");
  const client = createOpenRouter({ apiKey: config.openrouter.apiKey, baseUrl: config.openrouter.baseUrl });
  const model = "openai/gpt-4o-mini";
  await check(`openrouter /models prices of ${model}`, async () => {
    const listed = (await client.listModels()).find((m) => m.id === model);
    if (!listed) throw new Error(`${model} is not listed`);
    if (!(Number(listed.promptUsd) > 0 && Number(listed.completionUsd) > 0)) throw new Error(`prices are not positive decimals: ${JSON.stringify(listed)}`);
    return `prompt ${listed.promptUsd}, completion ${listed.completionUsd} USD per token`;
  });
  await check("openrouter tiny completion: usage, cost, generation id, generation endpoint", async () => {
    let ref = null;
    const completion = await client.chat({
      model,
      messages: [{ role: "user", content: "Answer with the single word OK." }],
      maxTokens: 5,
      signal: AbortSignal.timeout(60_000),
      onProviderRef: async (id) => void (ref = id),
    });
    if (!ref || completion.generationId !== ref) throw new Error("no generation id in the response headers");
    if (completion.cost.kind !== "known") throw new Error(`usage.cost is ${completion.cost.kind}`);
    if (completion.usage.promptTokens === null) throw new Error("usage has no token counts");
    const looked = await client.costOf(ref);
    if (looked.kind !== "known") throw new Error(`the generation endpoint says ${looked.kind}${"why" in looked ? `: ${looked.why}` : ""}`);
    return `${completion.usage.totalTokens} tokens, $${Number(completion.cost.nanoUsd) / 1e9} (generation endpoint: $${Number(looked.nanoUsd) / 1e9})`;
  });
}

async function apify() {
  if (!config.apify.token) return skip("apify", "APIFY_API_TOKEN is not set");
  const client = createApify({ token: config.apify.token, baseUrl: config.apify.baseUrl });
  const actor = config.apify.leadSignalActor;
  await check(`apify ${actor} pricing info`, async () => {
    const minimum = await client.minimumChargeNanoUsd(actor);
    return minimum === null
      ? "no minimum run cap given (set ECN_LEAD_SIGNAL_MIN_CHARGE_USD if the actor has one)"
      : `minimum run cap $${Number(minimum) / 1e9}`;
  });
}

await socrata();
await openrouter();
await apify();
console.log(failures ? `${failures} check(s) failed` : "every check passed");
process.exitCode = failures ? 1 : 0;
