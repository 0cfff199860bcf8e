import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import type { RateCardPatch } from "../../ledger/index.js";
import { isoTime, respond, respondList, wroteTo } from "../output.js";
import { parseCredits, parseFeature, parseModel, parsePositiveInt, parseUsd } from "../parse.js";
import type { LedgerApp } from "../ledger-app.js";
import { withApp, withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

/** Per-token prices above a dollar are typos, not models. */
const MAX_TOKEN_PRICE_USD = "1";
const MAX_REQUEST_PRICE_USD = "100";

/** `rate-card set` checks the model's price as a paid call would (the metering core); the other verbs need the ledger only. */
export function register(program: Command): void {
  const rateCard = program.command("rate-card").description(VERBS["rate-card"].summary);

  const list = async (app: LedgerApp, options: { json?: boolean }) => {
    const view = await app.accounts.rateCard();
    respond(
      options,
      view,
      ["feature", "provider", "model", "max tokens", "floor (credits)", "description"],
      view.rate_cards.map((c) => [c.feature, c.provider, c.model, c.max_tokens, c.floor_credits, c.description]),
    );
    if (!options.json) console.log(`markup ${view.markup} x provider cost; 1 credit = ${view.credit_usd_value} USD`);
  };

  rateCard.command("list").option("--json", "machine-readable output").description("show the live rate card").action(withLedger(list));

  rateCard
    .command("set")
    .argument("<feature>", "feature to change")
    .option("--floor <credits>", "minimum hold in credits")
    .option("--model <model>", "default OpenRouter model (LLM features)")
    .option("--max-tokens <n>", "default max_tokens (LLM features)")
    .option("--json", "machine-readable output")
    .description("change a feature's floor, model or max_tokens")
    .action(
      withApp(async (app, featureName: string, options: { floor?: string; model?: string; maxTokens?: string; json?: boolean }) => {
        const feature = parseFeature(featureName);
        const patch: RateCardPatch = {};
        if (options.floor !== undefined) patch.floorMicroCredits = parseCredits(options.floor, "--floor");
        if (options.model !== undefined) patch.model = parseModel(options.model, "--model");
        if (options.maxTokens !== undefined) patch.maxTokens = parsePositiveInt(options.maxTokens, "--max-tokens", 200_000);
        if (Object.keys(patch).length === 0) throw new EcnError("invalid_input", "nothing to change: give --floor, --model or --max-tokens");
        await app.ledger.updateRateCard(feature, patch, Date.now());
        await list(app, options);
        wroteTo(options, app.location);
        if (patch.model !== undefined && (await app.metering.prices.lookup(patch.model)).kind !== "priced") {
          console.error(
            `warning: ${patch.model} has no known price, so ${feature} calls are refused until it has one: ` +
              `ecn-mcp rate-card price set ${patch.model} --prompt USD --completion USD`,
          );
        }
      }),
    );

  registerPriceCommands(rateCard.command("price").description("prices you give models OpenRouter does not list (a call needs a known worst case)"));
}

function registerPriceCommands(price: Command): void {
  const listPrices = async (app: LedgerApp, options: { json?: boolean }) => {
    const prices = await app.ledger.listModelPriceOverrides();
    const rows = prices.map((p) => ({
      model: p.model,
      prompt_usd: p.promptUsd,
      completion_usd: p.completionUsd,
      request_usd: p.requestUsd,
      note: p.note,
      updated_at: isoTime(p.updatedAt),
    }));
    respondList(
      options,
      rows,
      ["model", "USD / prompt token", "USD / completion token", "USD / request", "note", "updated"],
      rows.map((r) => [r.model, r.prompt_usd, r.completion_usd, r.request_usd, r.note, r.updated_at]),
      `No model prices of yours in ${app.location}: every model is priced by OpenRouter's list. ` +
        "Give a model a price with: ecn-mcp rate-card price set <model> --prompt USD --completion USD",
    );
  };

  price
    .command("set")
    .argument("<model>", "OpenRouter model id, e.g. openai/gpt-4o-mini:nitro")
    .requiredOption("--prompt <usd>", "worst-case USD per prompt token")
    .requiredOption("--completion <usd>", "worst-case USD per completion (and reasoning) token")
    .option("--request <usd>", "USD per request", "0")
    .option("--note <text>", "why (kept with the price)")
    .option("--json", "machine-readable output")
    .description("give a model a worst-case price; where OpenRouter lists it too, the larger price counts")
    .action(
      withLedger(async (app, model: string, options: { prompt: string; completion: string; request: string; note?: string; json?: boolean }) => {
        await app.ledger.setModelPriceOverride({
          model: parseModel(model, "MODEL"),
          promptUsd: parseUsd(options.prompt, "--prompt", MAX_TOKEN_PRICE_USD),
          completionUsd: parseUsd(options.completion, "--completion", MAX_TOKEN_PRICE_USD),
          requestUsd: parseUsd(options.request, "--request", MAX_REQUEST_PRICE_USD),
          note: options.note ?? null,
          updatedAt: Date.now(),
        });
        await listPrices(app, options);
        wroteTo(options, app.location);
      }),
    );

  price.command("list").option("--json", "machine-readable output").description("list the prices you gave models").action(withLedger(listPrices));

  price
    .command("remove")
    .argument("<model>", "model id")
    .option("--json", "machine-readable output")
    .description("remove your price of a model (it then needs OpenRouter's list price)")
    .action(
      withLedger(async (app, model: string, options: { json?: boolean }) => {
        if (!(await app.ledger.removeModelPriceOverride(model))) throw new EcnError("invalid_input", `${model} has no price of yours to remove`);
        await listPrices(app, options);
        wroteTo(options, app.location);
      }),
    );
}
