/** The errors a paid call can end in, worded so the user knows what happened and what to do. */
import { EcnError } from "../errors.js";
import type { BudgetStanding, ToolCallRecord } from "../ledger/index.js";
import { microToCreditsText } from "../money.js";
import type { ProviderFailure } from "../providers/failure.js";
import type { PaidCallRequest } from "./types.js";

const credits = (micro: bigint) => `${microToCreditsText(micro)} credits`;

function budgetName(standing: BudgetStanding): string {
  const { budget } = standing;
  const scope = budget.feature ? `${budget.feature}` : "all features";
  const period = budget.period === "total" ? "total" : `${budget.period}ly`.replace("dayly", "daily");
  return `the ${budget.hard ? "hard" : "soft"} ${period} budget for ${scope}`;
}

/**
 * Not enough credits. Where payments are configured the user can buy more
 * at once: the `buy_credits` tool hands a person a checkout link, so an agent
 * short of credits need not simply fail.
 */
export function insufficientCredits(request: PaidCallRequest, available: bigint, needed: bigint, paymentsConfigured = false): EcnError {
  const how = paymentsConfigured
    ? "Buy credits: the buy_credits tool returns a checkout link for a person to pay (or the operator adds them with ecn-mcp credits grant)."
    : `Add credits with: ecn-mcp credits grant --org ${request.org.name} --credits 10`;
  return new EcnError(
    "insufficient_credits",
    `${request.feature} needs a hold of ${credits(needed)}, but organisation "${request.org.name}" has ${credits(available)} available. ` +
      `Nothing was charged. ${how}`,
    { available_credits: microToCreditsText(available), needed_credits: microToCreditsText(needed) },
  );
}

export function budgetExceeded(request: PaidCallRequest, standing: BudgetStanding, needed: bigint): EcnError {
  const { budget } = standing;
  if (budget.connectionId) return capExceeded(request, standing, needed);
  const left = budget.limitMicroCredits - standing.usedMicroCredits;
  const flags = `--org ${request.org.name}${budget.feature ? ` --feature ${budget.feature}` : ""} --period ${budget.period}`;
  return new EcnError(
    "budget_exceeded",
    `${budgetName(standing)} (limit ${credits(budget.limitMicroCredits)}) has ${credits(left > 0n ? left : 0n)} left ` +
      `this period; ${request.feature} needs ${credits(needed)}. Nothing was charged. ` +
      `Raise it with: ecn-mcp budget set ${flags} --credits N`,
    { budget_id: budget.id, limit_credits: microToCreditsText(budget.limitMicroCredits), left_credits: microToCreditsText(left) },
  );
}

/** A connection's own daily cap, chosen by the person who connected the app. */
function capExceeded(request: PaidCallRequest, standing: BudgetStanding, needed: bigint): EcnError {
  const { budget } = standing;
  const left = budget.limitMicroCredits - standing.usedMicroCredits;
  return new EcnError(
    "budget_exceeded",
    `this connection's daily cap (${credits(budget.limitMicroCredits)} per day, chosen when the app was connected) has ` +
      `${credits(left > 0n ? left : 0n)} left today (UTC); ${request.feature} needs ${credits(needed)}. Nothing was charged. ` +
      `The cap resets at midnight UTC; to choose another, disconnect the app and connect it again.`,
    { connection_id: budget.connectionId, limit_credits: microToCreditsText(budget.limitMicroCredits), left_credits: microToCreditsText(left) },
  );
}

/** The call's connection was revoked (from the dashboard, the CLI, or by the app) while the request was on its way. */
export function connectionRevoked(): EcnError {
  return new EcnError("unauthorized", "this connection was revoked. Nothing was run or charged. Connect the app again to go on.");
}

export function softBudgetMessage(request: PaidCallRequest, standing: BudgetStanding, hold: bigint): string {
  return (
    `${budgetName(standing)} of organisation "${request.org.name}" is crossed: ` +
    `${credits(standing.usedMicroCredits + hold)} used or held of ${credits(standing.budget.limitMicroCredits)} this period. ` +
    `Calls continue (the budget is soft).`
  );
}

/** The error a failed call ends in, saying what it cost the user. */
export function withChargeNote(error: EcnError, chargedMicroCredits: bigint, call: ToolCallRecord): EcnError {
  const note =
    chargedMicroCredits > 0n ? ` The provider work already done was charged: ${credits(chargedMicroCredits)} (call ${call.id}).` : " Nothing was charged.";
  return new EcnError(error.code, error.message + note, { ...error.details, tool_call_id: call.id }, error.report);
}

/** The ledger could not be written when the call ended: its outcome waits in the server's spool. */
export const PENDING_NOTE = "The ledger cannot be written right now: this server keeps the outcome in its spool and records it once the ledger is back.";

/** A failed call whose paid work was done while the ledger could not be written: the charge is computed, and pending. */
export function withPendingChargeNote(error: EcnError, chargedMicroCredits: bigint, call: ToolCallRecord): EcnError {
  return new EcnError(
    error.code,
    `${error.message} The provider work already done costs ${credits(chargedMicroCredits)} (call ${call.id}); ${PENDING_NOTE.charAt(0).toLowerCase()}${PENDING_NOTE.slice(1)}`,
    { ...error.details, tool_call_id: call.id, charge_pending: true },
    error.report,
  );
}

/** A call left `unknown` while the ledger could not be written: that, too, waits in the spool. */
export function withSpoolNote(error: EcnError): EcnError {
  return new EcnError(error.code, `${error.message} ${PENDING_NOTE}`, error.details, error.report);
}

export function unresolvedError(failure: ProviderFailure, stillOpen: boolean, call: ToolCallRecord): EcnError {
  if (stillOpen) {
    return new EcnError(
      "provider_error",
      `${failure.message}. The provider may have done (and billed) the work, so the hold of ${credits(call.walletHoldMicroCredits)} ` +
        `stays on call ${call.id} until \`ecn-mcp reconcile\` learns the real cost.`,
      { tool_call_id: call.id },
      failure.details.report,
    );
  }
  return new EcnError(
    "provider_error",
    `${failure.message}. The provider reported what the partial work cost; that was charged (call ${call.id}).`,
    { tool_call_id: call.id },
    failure.details.report,
  );
}

/** Who chose a model: the caller's `model` argument, the feature's rate card, or the server's embedding model. */
export type ModelChoice = "caller" | "rate_card" | "embedding";

const PRICE_HOW = (model: string) => `ecn-mcp rate-card price set ${model} --prompt USD_PER_TOKEN --completion USD_PER_TOKEN`;

/** A model with no known worst-case price: the call is refused before anything is held or sent. */
export function unpricedModel(request: PaidCallRequest, model: string, choice: ModelChoice, listUnavailable: boolean): EcnError {
  if (listUnavailable) {
    return new EcnError(
      "provider_error",
      `OpenRouter's price list (GET /models) cannot be loaded and this ledger has no copy of it, so ${request.feature} cannot be held at its ` +
        `worst case. Nothing was run or charged. Retry shortly; the operator can also price the model with: ${PRICE_HOW(model)}`,
    );
  }
  const why = `model "${model}" has no known price: OpenRouter's price list does not name it (a variant such as ":nitro" or ":online" is priced only when listed as such)`;
  if (choice === "caller") {
    return new EcnError(
      "invalid_input",
      `${why}, so no hold could cover its worst case. Nothing was run or charged. Pick a listed model, or ask the operator to price it with: ${PRICE_HOW(model)}`,
    );
  }
  const fix =
    choice === "embedding"
      ? `price it with: ${PRICE_HOW(model)}, or set ECN_EMBEDDING_MODEL to a listed model`
      : `price it with: ${PRICE_HOW(model)}, or choose another with: ecn-mcp rate-card set ${request.feature} --model MODEL`;
  return new EcnError("provider_not_configured", `${request.feature} uses ${why}. Nothing was run or charged. The operator must ${fix}.`);
}
