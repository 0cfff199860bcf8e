/** The PostgreSQL store's tables for connectors (see ../sqlite/schema-auth.ts). */
import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { orgs } from "./schema.js";

const money = (name: string) => bigint(name, { mode: "bigint" });
const ms = (name: string) => bigint(name, { mode: "number" });

/** The authorization server's records, found by the hash of their id (see the SQLite schema). */
export const oauthRecords = pgTable(
  "oauth_records",
  {
    model: text("model").notNull(),
    idHash: text("id_hash").notNull(),
    payloadJson: text("payload_json").notNull(),
    grantId: text("grant_id"),
    uid: text("uid"),
    userCode: text("user_code"),
    expiresAt: ms("expires_at"),
    consumedAt: ms("consumed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.idHash] }),
    index("oauth_records_grant_idx").on(t.grantId),
    index("oauth_records_uid_idx").on(t.model, t.uid),
    index("oauth_records_expires_idx").on(t.expiresAt),
  ],
);

/** A grant given to an app, with its scope and daily credit cap (see the SQLite schema). */
export const connections = pgTable(
  "connections",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    clientId: text("client_id").notNull(),
    clientName: text("client_name").notNull(),
    scope: text("scope").notNull(),
    dayCapMicroCredits: money("day_cap_micro_credits").notNull(),
    grantId: text("grant_id").notNull(),
    signedInVia: text("signed_in_via").notNull(),
    signedInAs: text("signed_in_as"),
    createdAt: ms("created_at").notNull(),
    lastUsedAt: ms("last_used_at"),
    revokedAt: ms("revoked_at"),
  },
  (t) => [uniqueIndex("connections_grant_idx").on(t.grantId), index("connections_org_idx").on(t.orgId, t.createdAt)],
);

/** Spend per connection per UTC day (see the SQLite schema). */
export const connectionDaily = pgTable(
  "connection_daily",
  {
    connectionId: text("connection_id")
      .notNull()
      .references(() => connections.id),
    day: ms("day").notNull(),
    calls: integer("calls").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    meteredMicroCredits: money("metered_micro_credits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.day] })],
);

/** Members an upstream identity provider signs in (see the SQLite schema). */
export const members = pgTable(
  "members",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    email: text("email").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.email] }), index("members_email_idx").on(t.email)],
);
