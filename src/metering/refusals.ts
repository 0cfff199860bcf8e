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

export function insufficientCredits(request: PaidCallRequest, available: bigint, needed: bigint): EcnError {
  return new EcnError(
    "insufficient_credits",
    `${request.feature} needs a hold of ${credits(needed)}, but organisation "${request.org.name}" has ${credits(available)} available. ` +
      `Nothing was charged. Add credits with: ecn-mcp credits grant --org ${request.org.name} --credits 10`,
    { available_credits: microToCreditsText(available), needed_credits: microToCreditsText(needed) },
  );
}

export function budgetExceeded(request: PaidCallRequest, standing: BudgetStanding, needed: bigint): EcnError {
  const { budget } = standing;
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

export function softBudgetMessage(request: PaidCallRequest, standing: BudgetStanding, hold: bigint): string {
  return (
    `${budgetName(standing)} of organisation "${request.org.name}" is crossed: ` +
    `${credits(standing.usedMicroCredits + hold)} used or held of ${credits(standing.budget.limitMicroCredits)} this period. ` +
    `Calls continue (the budget is soft).`
  );
}

export function providerError(failure: ProviderFailure): EcnError {
  const retry = failure.details.retryAfterSeconds ? ` Retry after ${failure.details.retryAfterSeconds} s.` : "";
  return new EcnError("provider_error", `${failure.message}.${retry}`, {
    ...(failure.details.status ? { status: failure.details.status } : {}),
  });
}

/** The error a failed call ends in, saying what it cost the user. */
export function withChargeNote(error: EcnError, chargedMicroCredits: bigint, call: ToolCallRecord): EcnError {
  const note =
    chargedMicroCredits > 0n
      ? ` The provider work already done was charged: ${credits(chargedMicroCredits)} (call ${call.id}).`
      : " Nothing was charged.";
  return new EcnError(error.code, error.message + note, { ...error.details, tool_call_id: call.id });
}

export function unresolvedError(failure: ProviderFailure, stillOpen: boolean, call: ToolCallRecord): EcnError {
  if (stillOpen) {
    return new EcnError(
      "provider_error",
      `${failure.message}. The provider may have done (and billed) the work, so the hold of ${credits(call.walletHoldMicroCredits)} ` +
        `stays on call ${call.id} until \`ecn-mcp reconcile\` learns the real cost.`,
      { tool_call_id: call.id },
    );
  }
  return new EcnError(
    "provider_error",
    `${failure.message}. The provider reported what the partial work cost; that was charged (call ${call.id}).`,
    { tool_call_id: call.id },
  );
}
