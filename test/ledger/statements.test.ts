/**
 * The ledger's statements are typed: a statement declares exactly the
 * `@names` its SQL uses, with their kinds, and a script that runs it passes
 * exactly those, of the right types. What is wrong does not compile (each
 * `@ts-expect-error` below fails `npm run typecheck` if the line compiles),
 * and what comes through a cast is still refused when the statement is
 * declared or bound. Only statements safe to send twice run on their own.
 */
import { describe, expect, it } from "vitest";
import { callById, markDispatchedSql, walletOf } from "../../src/ledger/core/calls.js";
import { revokeKey } from "../../src/ledger/core/keys.js";
import { all, get, run, runQuery } from "../../src/ledger/script.js";
import "../../src/ledger/copy.js";
import type { PostgresLedger, SqliteLedger } from "../../src/ledger/index.js";
import "../../src/ledger/ledger.js";
import { bind, compile, declaredStatements, idempotentStatement, p, statement } from "../../src/ledger/sql.js";
import { holdRequest, NOW } from "../helpers/ledger-inputs.js";
import { STORE, tempLedger } from "../helpers/store.js";

describe(`typed ledger statements (${STORE})`, () => {
  it("are each valid SQL on this store: every one of them prepares", async () => {
    const { ledger } = await tempLedger();
    const ours = [...declaredStatements().values()].filter((s) => !s.name.startsWith("types_"));
    expect(ours.length).toBeGreaterThan(90);
    const client = ledger.engine.dialect === "postgres" ? await (ledger as PostgresLedger).engine.pool.connect() : null;
    try {
      for (const statement of ours) {
        const text = compile(statement, ledger.engine.dialect).text;
        if (!client) expect(() => (ledger as SqliteLedger).sqlite.prepare(text), statement.name).not.toThrow();
        else {
          await expect(client.query(`PREPARE check_${statement.name} AS ${text}`), statement.name).resolves.toBeDefined();
          await client.query(`DEALLOCATE check_${statement.name}`);
        }
      }
    } finally {
      client?.release();
    }
  });

  it("declare exactly the @names of their SQL, checked by tsc and again when declared", () => {
    const ok = statement("types_ok", "SELECT * FROM orgs WHERE id = @id AND created_at > @since", { id: p.text, since: p.int });
    expect(compile(ok, "postgres").params).toEqual(["id", "since"]);
    // @ts-expect-error @since is used but not declared
    expect(() => statement("types_missing", "SELECT * FROM orgs WHERE id = @id AND created_at > @since", { id: p.text })).toThrow(
      "ledger statement types_missing: @since is not declared",
    );
    // @ts-expect-error @sinse is declared but not used
    expect(() => statement("types_extra", "SELECT * FROM orgs WHERE id = @id", { id: p.text, sinse: p.int })).toThrow("@sinse is not in its SQL");
    // @ts-expect-error each dialect's text counts: @b is only in the PostgreSQL one
    expect(() => statement("types_dialects", { sqlite: "SELECT @a", postgres: "SELECT @a::text, @b" }, { a: p.text })).toThrow("@b is not declared");
    // A text tsc cannot read (built at run time) is still checked when declared.
    const built: string = ["SELECT * FROM orgs WHERE id = @id", "AND name = @name"].join(" ");
    expect(() => statement("types_built", built, { id: p.text })).toThrow("@name is not declared");
  });

  it("take exactly their parameters, of their types, where a script runs them", () => {
    get(callById, { id: "tc_1" });
    // @ts-expect-error a missing parameter
    get(callById, {});
    // @ts-expect-error a misspelled parameter
    get(walletOf, { orgID: "org_1" });
    // @ts-expect-error an extra parameter
    get(walletOf, { orgId: "org_1", now: 1 });
    // @ts-expect-error a value of the wrong type: epoch milliseconds are a number
    runQuery(markDispatchedSql, { id: "tc_1", now: "1" });
    const insert = statement("types_money", "INSERT INTO x VALUES (@amount, @note)", { amount: p.money, note: p.textOrNull });
    run(insert, { amount: 5n, note: null });
    // @ts-expect-error money is a BigInt, never a float
    run(insert, { amount: 5.5, note: null });
    // @ts-expect-error null only where the parameter is nullable
    run(walletOf, { orgId: null });
    // A statement without parameters needs none.
    all(statement("types_none", "SELECT 1 AS one", {}));
  });

  it("refuse at binding a value that got past tsc through a cast", () => {
    const insert = statement("types_bind", "INSERT INTO x VALUES (@amount, @at)", { amount: p.money, at: p.int });
    const compiled = compile(insert, "sqlite");
    expect(bind(insert, compiled, { amount: 5n, at: 1 })).toEqual([5n, 1]);
    expect(() => bind(insert, compiled, { amount: 0.5, at: 1 })).toThrow("@amount takes money, not number");
    expect(() => bind(insert, compiled, { amount: 5n, at: 1.5 })).toThrow("@at takes int, not number");
    expect(() => bind(insert, compiled, { amount: 5n })).toThrow("needs parameter @at");
  });

  it("run on their own (Engine.writeOne) only when safe to send twice, and then count the same the second time", async () => {
    const { ledger } = await tempLedger();
    const engine = ledger.engine;
    const org = await ledger.createOrg("acme", NOW);
    await ledger.grantCredits(org.id, 5_000_000n, null, NOW);
    const placed = await ledger.placeHold(holdRequest(org.id));
    if (placed.kind !== "placed") throw new Error("refused");
    // @ts-expect-error a plain statement is not safe to send twice
    await expect(engine.writeOne(statement("types_plain", "DELETE FROM orgs WHERE id = @id", { id: p.text }), { id: "x" })).rejects.toThrow(
      "not safe to send twice",
    );
    const retryable = idempotentStatement("types_retryable", "DELETE FROM dashboard_sessions WHERE id_hash = @id", { id: p.text });
    expect(await engine.writeOne(retryable, { id: "nobody" })).toBe(0);

    // What a PostgreSQL retry does after an answer was lost: the same statement, sent again. The second send
    // still reports the dispatch, so the caller does not take its own dispatch for a reconciler's void.
    const dispatch = { id: placed.call.id, now: NOW + 1 };
    expect(await engine.writeOne(markDispatchedSql, dispatch)).toBe(1);
    expect(await engine.writeOne(markDispatchedSql, dispatch)).toBe(1);
    expect(await engine.writeOne(markDispatchedSql, { ...dispatch, now: NOW + 2 })).toBe(0);
    await ledger.createApiKey({ id: "key_1", orgId: org.id, name: null, prefix: "ecn_sk_a", keyHash: "a".repeat(64), createdAt: NOW });
    expect(await engine.writeOne(revokeKey, { id: "key_1", now: NOW + 3 })).toBe(1);
    expect(await engine.writeOne(revokeKey, { id: "key_1", now: NOW + 3 })).toBe(1);
    expect(await ledger.revokeApiKey("key_1", NOW + 4)).toBe(false);
  });
});
