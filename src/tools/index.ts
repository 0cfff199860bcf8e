/** Every tool the server offers, in the order clients list them. */
import { buyCredits } from "./buy-credits.js";
import { contextAuthor } from "./context-author.js";
import { contextPackCompile } from "./context-pack-compile.js";
import { contextRefresh } from "./context-refresh.js";
import { funnelGenerate } from "./funnel-generate.js";
import { getRateCard } from "./get-rate-card.js";
import { getUsage } from "./get-usage.js";
import { getWalletBalance } from "./get-wallet-balance.js";
import { leadEnrichment } from "./lead-enrichment.js";
import { leadQualify } from "./lead-qualify.js";
import { leadSignalFetch } from "./lead-signal-fetch.js";
import { outreachDraft } from "./outreach-draft.js";
import { permitSearch } from "./permit-search.js";
import { profileDraft } from "./profile-draft.js";
import type { ToolDefinition } from "./tool.js";
import { xReplyDraft } from "./x-reply-draft.js";

export const TOOLS: ToolDefinition[] = [
  getWalletBalance,
  getRateCard,
  getUsage,
  buyCredits,
  profileDraft,
  contextAuthor,
  contextRefresh,
  contextPackCompile,
  leadEnrichment,
  leadQualify,
  outreachDraft,
  xReplyDraft,
  funnelGenerate,
  leadSignalFetch,
  permitSearch,
];

export type { ToolContext, ToolDefinition, ToolDeps } from "./tool.js";
