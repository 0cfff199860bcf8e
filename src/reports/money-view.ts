/** Credits and their USD value side by side, as the dashboard shows every amount. */
import { nanoToUsd, microToCredits, type Decimal } from "../money.js";
import { revenueNanoUsd } from "./margin-report.js";
import type { Amount } from "./views.js";

export const amount = (micro: bigint, creditUsdValue: Decimal): Amount => ({
  credits: microToCredits(micro),
  usd: nanoToUsd(revenueNanoUsd(micro, creditUsdValue)),
});
