/**
 * Connections: each grant an organisation gave an app at the consent page,
 * with its scope and daily credit cap. The CLI, the dashboard and the
 * authorization server all go through here; the cap itself is enforced by
 * the ledger's hold (a hard budget of the connection's own).
 */
import { newId } from "../ids.js";
import type { ConnectionRecord, ConnectionView, Ledger, SignedInVia } from "../ledger/index.js";
import { storageFailure } from "../ledger/errors.js";
import type { OrgRef } from "../metering/types.js";

/** "Last used" is kept to the minute, as for API keys: not a durable write on every request. */
const TOUCH_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

export interface NewConnection {
  org: OrgRef;
  clientId: string;
  clientName: string;
  scope: string;
  dayCapMicroCredits: bigint;
  grantId: string;
  signedInVia: SignedInVia;
  signedInAs: string | null;
}

export class Connections {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  create(connection: NewConnection): Promise<ConnectionRecord> {
    const { org, ...rest } = connection;
    return this.ledger.createConnection({ ...rest, id: newId("con"), orgId: org.id, createdAt: this.now() });
  }

  /** Every connection (of one organisation, or all), newest first, with today's and total spend. */
  list(orgId: string | null): Promise<ConnectionView[]> {
    const now = this.now();
    return this.ledger.listConnections(orgId, now - (now % DAY_MS));
  }

  get(id: string): Promise<ConnectionRecord | null> {
    return this.ledger.getConnection(id);
  }

  /** Revokes the connection, its grant and every token of it at once; false when no live connection has that id. */
  revoke(id: string): Promise<boolean> {
    return this.ledger.revokeConnection(id, this.now());
  }

  /** The live connection a grant stands for (null once revoked). */
  async live(grantId: string): Promise<ConnectionRecord | null> {
    const connection = await this.ledger.connectionOfGrant(grantId);
    return connection && connection.revokedAt === null ? connection : null;
  }

  /** Notes a use, at most once a minute per connection; advisory, so a ledger that cannot take the write turns nobody away. */
  async touch(connection: ConnectionRecord): Promise<void> {
    const now = this.now();
    const last = Math.max(connection.lastUsedAt ?? -Infinity, this.touched.get(connection.id) ?? -Infinity);
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(connection.id, now);
    await this.ledger.touchConnection(connection.id, now, TOUCH_INTERVAL_MS).catch((error: unknown) => {
      if (!storageFailure(error)) throw error;
    });
  }
}
