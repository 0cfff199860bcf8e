/**
 * The SQLite store's tables for connectors (OAuth 2.1 in HTTP mode): the
 * authorization server's records, the connections its grants stand for,
 * their daily spend, and the members an upstream identity provider signs in.
 * Re-exported by schema.ts, so drizzle-kit and the row decoders see one schema.
 */
import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { SignedInVia } from "../auth-types.js";
import { int, money } from "./columns.js";
import { orgs } from "./schema.js";

/**
 * Everything the OAuth authorization server keeps (clients, grants, codes,
 * access and refresh tokens, sessions, interactions), one row per record.
 * Records are found by the SHA-256 of their id: a token, code or session id
 * is its own id, so none is ever stored in the clear.
 */
export const oauthRecords = sqliteTable(
  "oauth_records",
  {
    /** The kind of record (AccessToken, RefreshToken, Grant, Client, Session, ...). */
    model: text("model").notNull(),
    idHash: text("id_hash").notNull(),
    /** The record as the authorization server describes it, without its id. */
    payloadJson: text("payload_json").notNull(),
    /** The grant a token or code belongs to: revoking the grant removes them all. */
    grantId: text("grant_id"),
    /** A session's public uid (its id stays secret). */
    uid: text("uid"),
    /** Device flow user codes, hashed (the flow is off; kept for the adapter's interface). */
    userCode: text("user_code"),
    /** Epoch ms; null: never expires (registered clients). */
    expiresAt: int("expires_at"),
    /** When a code or refresh token was used: a second use is detected from this. */
    consumedAt: int("consumed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.idHash] }),
    index("oauth_records_grant_idx").on(t.grantId),
    index("oauth_records_uid_idx").on(t.model, t.uid),
    index("oauth_records_expires_idx").on(t.expiresAt),
  ],
);

/**
 * A connection: one grant an organisation gave an app (Claude, ChatGPT, ...)
 * at the consent page, with the scope it may use and its own credit cap per
 * UTC day. Revoking it ends its grant and every token of it.
 */
export const connections = sqliteTable(
  "connections",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    clientId: text("client_id").notNull(),
    clientName: text("client_name").notNull(),
    /** Space-separated: tools:free, and tools:paid when paid tools were allowed. */
    scope: text("scope").notNull(),
    dayCapMicroCredits: money("day_cap_micro_credits").notNull(),
    grantId: text("grant_id").notNull(),
    /** How the person proved the organisation: api_key, dashboard or oidc. */
    signedInVia: text("signed_in_via").$type<SignedInVia>().notNull(),
    /** The API key id or the member's email (never a secret). */
    signedInAs: text("signed_in_as"),
    createdAt: int("created_at").notNull(),
    lastUsedAt: int("last_used_at"),
    revokedAt: int("revoked_at"),
  },
  (t) => [uniqueIndex("connections_grant_idx").on(t.grantId), index("connections_org_idx").on(t.orgId, t.createdAt)],
);

/** Spend per connection per UTC day, kept current at settle like usage_daily: a connection's cap reads one row. */
export const connectionDaily = sqliteTable(
  "connection_daily",
  {
    connectionId: text("connection_id")
      .notNull()
      .references(() => connections.id),
    day: int("day").notNull(),
    calls: int("calls").notNull(),
    chargedMicroCredits: money("charged_micro_credits").notNull(),
    meteredMicroCredits: money("metered_micro_credits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.day] })],
);

/** Who may sign in for an organisation through the upstream identity provider (`ecn-mcp member add`). */
export const members = sqliteTable(
  "members",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    /** Lower-cased. */
    email: text("email").notNull(),
    createdAt: int("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.email] }), index("members_email_idx").on(t.email)],
);
