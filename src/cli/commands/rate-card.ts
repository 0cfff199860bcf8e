import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import type { RateCardPatch } from "../../ledger/index.js";
import { respond } from "../output.js";
import { parseCredits, parseFeature, parsePositiveInt } from "../parse.js";
import type { AppRunner } from "../runner.js";

const MODEL_ID = /^[A-Za-z0-9][\w.-]*\/[\w.:-]+$/;

export function registerRateCardCommands(program: Command, withApp: AppRunner): void {
  const rateCard = program.command("rate-card").description("what each feature costs: provider, model, max_tokens, hold floor");

  const list = async (app: Parameters<Parameters<AppRunner>[0]>[0], options: { json?: boolean }) => {
    const view = await app.accounts.rateCard();
    respond(
      options,
      view,
      ["feature", "provider", "model", "max tokens", "floor (credits)", "description"],
      view.rate_cards.map((c) => [c.feature, c.provider, c.model, c.max_tokens, c.floor_credits, c.description]),
    );
    if (!options.json) console.log(`markup ${view.markup} x provider cost; 1 credit = ${view.credit_usd_value} USD`);
  };

  rateCard.command("list").option("--json", "machine-readable output").description("show the live rate card").action(withApp(list));

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
        if (options.model !== undefined) {
          if (!MODEL_ID.test(options.model)) throw new EcnError("invalid_input", `--model must be an OpenRouter model id such as openai/gpt-4o-mini`);
          patch.model = options.model;
        }
        if (options.maxTokens !== undefined) patch.maxTokens = parsePositiveInt(options.maxTokens, "--max-tokens", 200_000);
        if (Object.keys(patch).length === 0) throw new EcnError("invalid_input", "nothing to change: give --floor, --model or --max-tokens");
        await app.ledger.updateRateCard(feature, patch, Date.now());
        await list(app, options);
      }),
    );
}
