/** Every tool the server offers, in the order clients list them. */
import { getRateCard } from "./get-rate-card.js";
import { getWalletBalance } from "./get-wallet-balance.js";
import { profileDraft } from "./profile-draft.js";
import type { ToolDefinition } from "./tool.js";

export const TOOLS: ToolDefinition[] = [getWalletBalance, getRateCard, profileDraft];

export type { ToolContext, ToolDefinition, ToolDeps } from "./tool.js";
