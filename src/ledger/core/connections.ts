/**
 * Connections (the grants organisations gave apps at the consent page) and
 * the members an upstream identity provider signs in, once for both stores.
 * A connection's spend per day is kept in connection_daily at settle (see
 * calls.ts), so its cap and the dashboard read a row per day, never events.
 */
import type { ConnectionRecord, ConnectionView, MemberRecord } from "../auth-types.js";
import { toConnection, toMember } from "../rows.js";
import type { BudgetRecord } from "../types.js";
import { all, closing, get, run, runQuery, type Script } from "../script.js";
import { asBigInt, asNumber, idempotentStatement, p, statement } from "../sql.js";

const insertConnection = statement(
  "insert_connection",
  `INSERT INTO connections (id, org_id, client_id, client_name, scope, day_cap_micro_credits, grant_id, signed_in_via, signed_in_as, created_at)
   VALUES (@id, @orgId, @clientId, @clientName, @scope, @cap, @grantId, @via, @as, @createdAt)`,
  {
    id: p.text,
    orgId: p.text,
    clientId: p.text,
    clientName: p.text,
    scope: p.text,
    cap: p.money,
    grantId: p.text,
    via: p.text,
    as: p.textOrNull,
    createdAt: p.int,
  },
);
export const connectionById = statement("connection_by_id", "SELECT * FROM connections WHERE id = @id", { id: p.text }, toConnection);
export const connectionByGrant = statement("connection_by_grant", "SELECT * FROM connections WHERE grant_id = @grantId", { grantId: p.text }, toConnection);
const listSql = statement(
  "list_connections",
  `SELECT c.*, o.name AS org_name,
          coalesce((SELECT d.charged_micro_credits FROM connection_daily d WHERE d.connection_id = c.id AND d.day = @today), 0) AS today_charged,
          coalesce((SELECT d.metered_micro_credits FROM connection_daily d WHERE d.connection_id = c.id AND d.day = @today), 0) AS today_metered,
          (SELECT coalesce(sum(d.charged_micro_credits), 0) FROM connection_daily d WHERE d.connection_id = c.id) AS total_charged,
          (SELECT coalesce(sum(d.calls), 0) FROM connection_daily d WHERE d.connection_id = c.id) AS calls
     FROM connections c JOIN orgs o ON o.id = c.org_id
    WHERE CAST(@orgId AS TEXT) IS NULL OR c.org_id = @orgId
    ORDER BY c.created_at DESC, c.id DESC`,
  { today: p.int, orgId: p.textOrNull },
  (row): ConnectionView => ({
    ...toConnection(row),
    orgName: String(row.org_name),
    todayChargedMicroCredits: asBigInt(row.today_charged),
    todayMeteredMicroCredits: asBigInt(row.today_metered),
    totalChargedMicroCredits: asBigInt(row.total_charged),
    calls: asNumber(row.calls),
  }),
);
const markRevoked = statement("revoke_connection", "UPDATE connections SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", {
  now: p.int,
  id: p.text,
});
/** Every record of the grant: the grant itself (its grant_id is its own id), its codes and its tokens. */
const deleteGrant = statement("delete_grant_records", "DELETE FROM oauth_records WHERE grant_id = @grantId", { grantId: p.text });
/** Sent again, it changes nothing: the first set last_used_at to @now, which is not before @before. */
export const touchConnectionSql = idempotentStatement(
  "touch_connection",
  "UPDATE connections SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)",
  { now: p.int, id: p.text, before: p.int },
);

export function* createConnection(c: Omit<ConnectionRecord, "lastUsedAt" | "revokedAt">): Script<ConnectionRecord> {
  yield* run(insertConnection, {
    id: c.id,
    orgId: c.orgId,
    clientId: c.clientId,
    clientName: c.clientName,
    scope: c.scope,
    cap: c.dayCapMicroCredits,
    grantId: c.grantId,
    via: c.signedInVia,
    as: c.signedInAs,
    createdAt: c.createdAt,
  });
  return { ...c, lastUsedAt: null, revokedAt: null };
}

export const listConnections = (orgId: string | null, today: number) => all(listSql, { orgId, today });

export function* revokeConnection(id: string, now: number): Script<boolean> {
  const connection = yield* get(connectionById, { id });
  if (!connection || connection.revokedAt !== null) return false;
  const [marked] = yield* closing(runQuery(markRevoked, { id, now }), runQuery(deleteGrant, { grantId: connection.grantId }));
  return marked > 0;
}

/** The row a hold reads for a connection's cap (and to refuse a revoked one). */
export const connectionForHold = connectionById;

/**
 * A connection's cap as a budget: hard, per UTC day, over every feature, and
 * counting only that connection's spend and holds (see budgets.ts).
 */
export function capBudget(connection: ConnectionRecord): BudgetRecord {
  return {
    id: connection.id,
    orgId: connection.orgId,
    feature: null,
    period: "day",
    limitMicroCredits: connection.dayCapMicroCredits,
    hard: true,
    createdAt: connection.createdAt,
    updatedAt: connection.createdAt,
    connectionId: connection.id,
  };
}

// members (adding and removing report whether anything changed, so each runs in a write script, never sent twice)
const insertMember = statement(
  "insert_member",
  "INSERT INTO members (org_id, email, created_at) VALUES (@orgId, @email, @createdAt) ON CONFLICT (org_id, email) DO NOTHING",
  { orgId: p.text, email: p.text, createdAt: p.int },
);
const deleteMember = statement("delete_member", "DELETE FROM members WHERE org_id = @orgId AND email = @email", { orgId: p.text, email: p.text });
const listMembersSql = statement(
  "list_members",
  "SELECT * FROM members WHERE CAST(@orgId AS TEXT) IS NULL OR org_id = @orgId ORDER BY org_id, email",
  { orgId: p.textOrNull },
  toMember,
);
const membershipsSql = statement("memberships_of", "SELECT * FROM members WHERE email = @email ORDER BY org_id", { email: p.text }, toMember);

/** False when the person was already a member. */
export function* addMember(member: MemberRecord): Script<boolean> {
  return (yield* run(insertMember, { orgId: member.orgId, email: member.email, createdAt: member.createdAt })) > 0;
}

/** False when the person was not a member. */
export function* removeMember(orgId: string, email: string): Script<boolean> {
  return (yield* run(deleteMember, { orgId, email })) > 0;
}

export const listMembers = (orgId: string | null): Script<MemberRecord[]> => all(listMembersSql, { orgId });
export const membershipsOf = (email: string): Script<MemberRecord[]> => all(membershipsSql, { email });
