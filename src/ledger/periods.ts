import type { BudgetPeriod } from "../features.js";

/** Start (epoch ms) of the calendar period containing `now`, in UTC. `total` starts at the epoch. */
export function periodStart(period: BudgetPeriod, now: number): number {
  const date = new Date(now);
  switch (period) {
    case "day":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case "total":
      return 0;
  }
}
