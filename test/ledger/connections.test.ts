/**
 * A connection's daily cap is a hard budget of its own, checked in the same
 * hold transaction as the wallet and every other budget: holds in flight
 * together never pass it, other connections and API keys of the organisation
 * are not limited by it, settled spend counts for the rest of the UTC day,
 * and a revoked connection places no hold at all. Revoking also removes the
 * grant's authorization-server records in the same transaction.
 */
import { describe, expect, it } from "vitest";
import { touchConnectionSql } from "../../src/ledger/core/connections.js";
import { consumeRecord, insertAbsent } from "../../src/ledger/core/oauth.js";
import { holdRequest as hold, NOW, usageEvent as event } from "../helpers/ledger-inputs.js";
import { assertInvariants, sqlRows, STORE, tempLedger, type TestLedger } from "../helpers/store.js";

const CREDIT = 1_000_000n;

async function setUp(ledger: TestLedger) {
  const org = await ledger.createOrg("acme", NOW);
  await ledger.grantCredits(org.id, 100n * CREDIT, "test", NOW);
  const connect = (id: string, capCredits: bigint) =>
    ledger.createConnection({
      id,
      orgId: org.id,
      clientId: `client-${id}`,
      clientName: `App ${id}`,
      scope: "tools:free tools:paid",
      dayCapMicroCredits: capCredits * CREDIT,
      grantId: `grant-${id}`,
      signedInVia: "api_key",
      signedInAs: "key_1",
      createdAt: NOW,
    });
  return { org, capped: await connect("con_a", 5n), other: await connect("con_b", 50n) };
}

describe(`a connection's daily cap (${STORE})`, () => {
  it("lets 32 holds in flight together spend at most the cap; the organisation's other connections and keys go on", async () => {
    const { ledger } = await tempLedger();
    const { org, capped, other } = await setUp(ledger);

    const outcomes = await Promise.all(Array.from({ length: 32 }, () => ledger.placeHold(hold(org.id, CREDIT, { connectionId: capped.id }))));
    const placed = outcomes.filter((o) => o.kind === "placed");
    expect(placed).toHaveLength(5);
    const refused = outcomes.filter((o) => o.kind === "budget_exceeded");
    expect(refused).toHaveLength(27);
    expect(refused.every((o) => o.kind === "budget_exceeded" && o.standing.budget.connectionId === capped.id)).toBe(true);
    await assertInvariants(ledger);

    // The same organisation through another connection and through an API key: not limited by the first one's cap.
    expect((await ledger.placeHold(hold(org.id, 10n * CREDIT, { connectionId: other.id }))).kind).toBe("placed");
    expect((await ledger.placeHold(hold(org.id, 10n * CREDIT, { apiKeyId: "key_1" }))).kind).toBe("placed");

    // Settled spend counts for the rest of the day: settle the five at 1 credit each, the cap stays full.
    for (const outcome of placed) {
      if (outcome.kind !== "placed") continue;
      expect(outcome.call).toMatchObject({ connectionId: capped.id, apiKeyId: null });
      await ledger.settleCall(outcome.call.id, [event(CREDIT)], { resultJson: "{}" }, NOW);
    }
    expect((await ledger.placeHold(hold(org.id, CREDIT, { connectionId: capped.id }))).kind).toBe("budget_exceeded");
    // Tomorrow (UTC) the cap is whole again.
    expect((await ledger.placeHold(hold(org.id, CREDIT, { connectionId: capped.id, now: NOW + 86_400_000 }))).kind).toBe("placed");

    const events = await sqlRows(ledger, `SELECT connection_id, api_key_id FROM usage_events`);
    expect(events).toHaveLength(5);
    expect(events.every((e) => e.connection_id === capped.id && e.api_key_id === null)).toBe(true);
    const [view] = (await ledger.listConnections(org.id, NOW - (NOW % 86_400_000))).filter((c) => c.id === capped.id);
    expect(view).toMatchObject({ todayChargedMicroCredits: 5n * CREDIT, totalChargedMicroCredits: 5n * CREDIT, calls: 5, orgName: "acme" });
    await assertInvariants(ledger);
  });

  it("refuses every hold of a revoked connection, and revoking deletes the grant's tokens with it", async () => {
    const { ledger } = await tempLedger();
    const { org, capped, other } = await setUp(ledger);
    for (const [model, id] of [
      ["Grant", "h-grant"],
      ["AccessToken", "h-at"],
      ["RefreshToken", "h-rt"],
    ] as const) {
      await ledger.upsertOAuthRecord({ model, idHash: id, payloadJson: "{}", grantId: capped.grantId, uid: null, userCode: null, expiresAt: NOW + 60_000 });
    }
    await ledger.upsertOAuthRecord({
      model: "AccessToken",
      idHash: "h-other",
      payloadJson: "{}",
      grantId: other.grantId,
      uid: null,
      userCode: null,
      expiresAt: null,
    });

    expect(await ledger.revokeConnection(capped.id, NOW)).toBe(true);
    expect(await ledger.revokeConnection(capped.id, NOW)).toBe(false);
    expect((await ledger.placeHold(hold(org.id, CREDIT, { connectionId: capped.id }))).kind).toBe("connection_revoked");
    expect((await ledger.placeHold(hold(org.id, CREDIT, { connectionId: "con_nobody" }))).kind).toBe("connection_revoked");
    expect(await ledger.findOAuthRecord("AccessToken", "h-at", NOW)).toBeNull();
    expect(await ledger.findOAuthRecord("AccessToken", "h-other", NOW)).not.toBeNull();
    expect((await ledger.getConnection(capped.id))?.revokedAt).toBe(NOW);
    expect(await ledger.getWallet(org.id)).toMatchObject({ heldMicroCredits: 0n });
    await assertInvariants(ledger);
  });

  it("revokes a connection when the authorization server deletes its grant (a refresh token reused, a code replayed)", async () => {
    const { ledger } = await tempLedger();
    const { capped } = await setUp(ledger);
    await ledger.upsertOAuthRecord({
      model: "Grant",
      idHash: "h-grant",
      payloadJson: "{}",
      grantId: capped.grantId,
      uid: null,
      userCode: null,
      expiresAt: null,
    });
    await ledger.destroyOAuthRecord("Grant", "h-grant", NOW);
    expect((await ledger.getConnection(capped.id))?.revokedAt).toBe(NOW);
    expect(await ledger.findOAuthRecord("Grant", "h-grant", NOW)).toBeNull();
  });

  it("never returns an expired record and prunes them", async () => {
    const { ledger } = await tempLedger();
    await ledger.upsertOAuthRecord({ model: "Session", idHash: "h", payloadJson: '{"a":1}', grantId: null, uid: "u1", userCode: null, expiresAt: NOW + 1 });
    expect((await ledger.findOAuthRecordByUid("Session", "u1", NOW))?.payloadJson).toBe('{"a":1}');
    expect(await ledger.findOAuthRecord("Session", "h", NOW + 1)).toBeNull();
    await ledger.consumeOAuthRecord("Session", "h", NOW);
    await ledger.upsertOAuthRecord({ model: "Session", idHash: "h", payloadJson: '{"a":2}', grantId: null, uid: "u1", userCode: null, expiresAt: NOW + 10 });
    expect(await ledger.findOAuthRecord("Session", "h", NOW)).toMatchObject({ payloadJson: '{"a":2}', consumedAt: NOW });
    expect(await ledger.pruneOAuthRecords(NOW + 10)).toBe(1);
  });

  it("keeps members per organisation: added once, found by email, removed", async () => {
    const { ledger } = await tempLedger();
    const { org } = await setUp(ledger);
    const beta = await ledger.createOrg("beta", NOW);
    expect(await ledger.addMember({ orgId: org.id, email: "dana@acme.example", createdAt: NOW })).toBe(true);
    expect(await ledger.addMember({ orgId: org.id, email: "dana@acme.example", createdAt: NOW })).toBe(false);
    expect(await ledger.addMember({ orgId: beta.id, email: "dana@acme.example", createdAt: NOW })).toBe(true);
    expect((await ledger.membershipsOf("dana@acme.example")).map((m) => m.orgId).sort()).toEqual([org.id, beta.id].sort());
    expect(await ledger.listMembers(beta.id)).toEqual([{ orgId: beta.id, email: "dana@acme.example", createdAt: NOW }]);
    expect(await ledger.removeMember(org.id, "dana@acme.example")).toBe(true);
    expect(await ledger.removeMember(org.id, "dana@acme.example")).toBe(false);
    expect(await ledger.listMembers(null)).toHaveLength(1);
  });

  it("sends on its own only what a lost answer may send again: the second send changes nothing the first did not", async () => {
    const { ledger } = await tempLedger();
    const { capped } = await setUp(ledger);
    const keys = { model: "ServerKeys", idHash: "v1", grantId: null, uid: null, userCode: null, expiresAt: null };
    // The first instance's keys stay: another instance's insert, or the same insert sent again, writes nothing.
    await ledger.insertOAuthRecordIfAbsent({ ...keys, payloadJson: '{"k":1}' });
    await ledger.engine.writeOne(insertAbsent, { ...keys, payloadJson: '{"k":2}' });
    expect((await ledger.findOAuthRecord("ServerKeys", "v1", NOW))?.payloadJson).toBe('{"k":1}');
    // A code's first use is the one recorded: a resend (or a replay) later does not move it.
    await ledger.upsertOAuthRecord({
      model: "AuthorizationCode",
      idHash: "c",
      payloadJson: "{}",
      grantId: null,
      uid: null,
      userCode: null,
      expiresAt: NOW + 60_000,
    });
    await ledger.consumeOAuthRecord("AuthorizationCode", "c", NOW);
    await ledger.engine.writeOne(consumeRecord, { model: "AuthorizationCode", idHash: "c", now: NOW + 5 });
    expect((await ledger.findOAuthRecord("AuthorizationCode", "c", NOW))?.consumedAt).toBe(NOW);
    await ledger.touchConnection(capped.id, NOW + 1, 60_000);
    await ledger.engine.writeOne(touchConnectionSql, { id: capped.id, now: NOW + 1, before: NOW + 1 - 60_000 });
    expect((await ledger.getConnection(capped.id))?.lastUsedAt).toBe(NOW + 1);
  });
});
