/** The actor and dataset objects of the fake Apify API, as the real one shapes them. */
import type { ApifyBehaviour, SimulatedRun } from "./apify-runs.js";

/** apify/google-search-scraper refuses a run capped below $0.50. */
const DEFAULT_MINIMAL_MAX_CHARGE_USD = 0.5;
/** Event prices the actor advertises (what its runs charge by default). */
const START_EVENT_USD = 0.005;
const PAGE_EVENT_USD = 0.002;

export interface SimulatedActor {
  id: string;
  name: string;
  username: string;
  createdAt: Date;
  runs: number;
}

/** A pay-per-event search actor's pricing as its runs report it: the start event and one per results page. */
export const runPricingInfo = (startCostUsd: number, costPerItemUsd: number) => ({
  pricingModel: "PAY_PER_EVENT",
  pricingPerEvent: {
    actorChargeEvents: {
      "actor-start": { eventTitle: "Actor start", eventPriceUsd: startCostUsd },
      "result-page": { eventTitle: "Results page", eventPriceUsd: costPerItemUsd },
    },
  },
});

export const minimalCharge = (behaviour: ApifyBehaviour): number | null =>
  behaviour.minimalMaxTotalChargeUsd === undefined ? DEFAULT_MINIMAL_MAX_CHARGE_USD : behaviour.minimalMaxTotalChargeUsd;

export function actorJson(actor: SimulatedActor, userId: string, minimalMaxTotalChargeUsd: number | null): Record<string, unknown> {
  return {
    id: actor.id,
    userId,
    name: actor.name,
    username: actor.username,
    title: actor.name,
    isPublic: true,
    createdAt: actor.createdAt.toISOString(),
    modifiedAt: actor.createdAt.toISOString(),
    stats: { totalBuilds: 1, totalRuns: actor.runs, totalUsers: 1 },
    versions: [],
    defaultRunOptions: { build: "latest", timeoutSecs: 3600, memoryMbytes: 1024 },
    pricingInfos: [
      {
        pricingModel: "PAY_PER_EVENT",
        startedAt: actor.createdAt.toISOString(),
        ...(minimalMaxTotalChargeUsd === null ? {} : { minimalMaxTotalChargeUsd }),
        pricingPerEvent: {
          actorChargeEvents: {
            "actor-start": { eventTitle: "Actor start", eventPriceUsd: START_EVENT_USD },
            "result-page": { eventTitle: "Results page", eventPriceUsd: PAGE_EVENT_USD },
          },
        },
      },
    ],
    actorPermissionLevel: "LIMITED_PERMISSIONS",
  };
}

export function datasetJson(run: SimulatedRun, userId: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: run.datasetId,
    name: null,
    userId,
    createdAt: run.startedAt.toISOString(),
    modifiedAt: (run.finishedAt ?? new Date()).toISOString(),
    accessedAt: now,
    itemCount: run.itemCount,
    cleanItemCount: run.itemCount,
    actId: run.actId,
    actRunId: run.id,
    stats: { readCount: 0, writeCount: run.itemCount, storageBytes: run.itemCount * 200 },
    fields: ["searchQuery", "url", "hasNextPage", "organicResults", "paidResults", "relatedQueries"],
  };
}
