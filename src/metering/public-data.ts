/**
 * Free public data: no hold, no charge, one data_query_log
 * row per query answered. Tools reach the open-data provider only through
 * here, so every query is on record like every paid call.
 */
import type { Ledger } from "../ledger/index.js";
import { PERMIT_DATASETS, type PermitCity, type PermitFilters } from "../providers/permits.js";
import type { PermitSearchResult, SocrataProvider } from "../providers/socrata.js";
import type { OrgRef } from "./types.js";

export type { PermitCity, PermitFilters, PermitSearchResult };
export { describePermitFilters, PERMIT_CITIES, PERMIT_DATASETS } from "../providers/permits.js";

export class PublicData {
  constructor(
    private readonly ledger: Ledger,
    private readonly socrata: SocrataProvider,
    private readonly now: () => number = Date.now,
  ) {}

  async searchPermits(org: OrgRef, city: PermitCity, filters: PermitFilters, signal?: AbortSignal): Promise<PermitSearchResult> {
    const result = await this.socrata.searchPermits(city, filters, signal);
    await this.ledger.logDataQuery({
      orgId: org.id,
      source: "socrata",
      dataset: PERMIT_DATASETS[city].datasetId,
      query: result.query,
      rowCount: result.rows.length,
      now: this.now(),
    });
    return result;
  }
}
