/**
 * What the dashboard and its JSON API read, in one place, through the same
 * ledger reads and report functions as the CLI. Who may see what is decided
 * here too: the operator sees every organisation, a tenant only its own
 * (any other is "not found", so a tenant cannot even learn it exists).
 */
import type { Ledger, OrgRecord } from "../ledger/index.js";
import type { ProcessIdentity } from "../fleet/liveness.js";
import type { PricingConfig } from "../metering/pricing.js";
import { formatDecimal } from "../money.js";
import { healthPage } from "./health.js";
import { marginsPage, type MarginsPage } from "./margins.js";
import { orgDetail } from "./organisation.js";
import { orgSummaries } from "./organisations.js";
import type { Period } from "./period.js";
import { connectionItem } from "./connections.js";
import type { ConnectionsPage, HealthPage, OrgDetail, OrgSummary, Viewer } from "./views.js";

export type { Viewer };

/** An organisation this viewer may not see: answered like one that does not exist. */
export class NotVisible extends Error {
  override readonly name = "NotVisible";
}

/** A page for the operator only, asked for with an organisation's key. */
export class OperatorOnly extends Error {
  override readonly name = "OperatorOnly";
}

export interface DashboardDeps {
  ledger: Ledger;
  pricing: PricingConfig;
  identity: ProcessIdentity;
  instanceTtlMs: number;
  now?: () => number;
}

export class Dashboard {
  private readonly now: () => number;

  constructor(private readonly deps: DashboardDeps) {
    this.now = deps.now ?? Date.now;
  }

  async organisations(viewer: Viewer): Promise<{ credit_usd_value: string; orgs: OrgSummary[] }> {
    const orgs = viewer.kind === "operator" ? await this.deps.ledger.listOrgs() : [await this.visibleOrg(viewer, viewer.org.id)];
    const summaries = await orgSummaries(this.deps.ledger, orgs, this.deps.pricing.creditUsdValue, this.now());
    return { credit_usd_value: formatDecimal(this.deps.pricing.creditUsdValue), orgs: summaries };
  }

  async organisation(viewer: Viewer, idOrName: string, period: Period): Promise<OrgDetail> {
    const org = await this.visibleOrg(viewer, idOrName);
    return orgDetail(this.deps.ledger, org, period, this.deps.pricing.creditUsdValue, viewer.kind === "operator", this.now());
  }

  /** The apps an organisation connected (OAuth), newest first. */
  async connections(viewer: Viewer, idOrName: string): Promise<ConnectionsPage> {
    const org = await this.visibleOrg(viewer, idOrName);
    const now = this.now();
    const list = await this.deps.ledger.listConnections(org.id, now - (now % 86_400_000));
    return { org: { id: org.id, name: org.name }, connections: list.map((c) => connectionItem(c, this.deps.pricing.creditUsdValue)) };
  }

  /**
   * Revokes a connection of an organisation the viewer sees (its tenant, or
   * the operator: revoking only takes access away). One it may not see is
   * "not found", like an organisation.
   */
  async revokeConnection(viewer: Viewer, id: string): Promise<{ id: string; revoked: boolean }> {
    const connection = await this.deps.ledger.getConnection(id);
    if (!connection || (viewer.kind === "tenant" && connection.orgId !== viewer.org.id)) throw new NotVisible(`no connection ${JSON.stringify(id)}`);
    return { id, revoked: await this.deps.ledger.revokeConnection(id, this.now()) };
  }

  margins(viewer: Viewer, period: Period): Promise<MarginsPage> {
    this.requireOperator(viewer, "margins");
    return marginsPage(this.deps.ledger, period, this.deps.pricing);
  }

  health(viewer: Viewer): Promise<HealthPage> {
    this.requireOperator(viewer, "ledger health");
    return healthPage(this.deps.ledger, this.deps.identity, this.deps.instanceTtlMs, this.now());
  }

  private async visibleOrg(viewer: Viewer, idOrName: string): Promise<OrgRecord> {
    const org = await this.deps.ledger.findOrg(idOrName);
    if (!org || (viewer.kind === "tenant" && org.id !== viewer.org.id)) throw new NotVisible(`no organisation ${JSON.stringify(idOrName)}`);
    return org;
  }

  private requireOperator(viewer: Viewer, what: string): void {
    if (viewer.kind !== "operator") throw new OperatorOnly(`${what} is for the operator (ECN_ADMIN_TOKEN), not an organisation's key`);
  }
}
