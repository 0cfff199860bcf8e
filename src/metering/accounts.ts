/**
 * Read side of the money: wallet and rate card as every interface shows them
 * (MCP tools, the REST API, the CLI's --json), built in one place so the
 * three never disagree.
 */
import type { Feature, PaidProvider } from "../features.js";
import type { Ledger } from "../ledger/index.js";
import { formatDecimal, microToCredits } from "../money.js";
import type { PricingConfig } from "./pricing.js";

export interface WalletView {
  org_id: string;
  balance_credits: number;
  held_credits: number;
  available_credits: number;
  credit_usd_value: number;
  deployment_mode: PricingConfig["deploymentMode"];
}

export interface RateCardView {
  rate_cards: {
    feature: Feature;
    provider: PaidProvider;
    model: string | null;
    max_tokens: number | null;
    floor_credits: number;
    description: string;
  }[];
  markup: number;
  credit_usd_value: number;
}

export class Accounts {
  constructor(
    private readonly ledger: Ledger,
    private readonly pricing: PricingConfig,
  ) {}

  async wallet(orgId: string): Promise<WalletView> {
    const wallet = await this.ledger.getWallet(orgId);
    return {
      org_id: orgId,
      balance_credits: microToCredits(wallet.balanceMicroCredits),
      held_credits: microToCredits(wallet.heldMicroCredits),
      available_credits: microToCredits(wallet.balanceMicroCredits - wallet.heldMicroCredits),
      credit_usd_value: Number(formatDecimal(this.pricing.creditUsdValue)),
      deployment_mode: this.pricing.deploymentMode,
    };
  }

  async rateCard(): Promise<RateCardView> {
    const cards = await this.ledger.listRateCards();
    return {
      rate_cards: cards.map((card) => ({
        feature: card.feature,
        provider: card.provider,
        model: card.model,
        max_tokens: card.maxTokens,
        floor_credits: microToCredits(card.floorMicroCredits),
        description: card.description,
      })),
      markup: Number(formatDecimal(this.pricing.markup)),
      credit_usd_value: Number(formatDecimal(this.pricing.creditUsdValue)),
    };
  }
}
