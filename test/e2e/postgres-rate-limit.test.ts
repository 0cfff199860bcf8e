/**
 * One rate limit across instances: three `ecn-mcp http` servers on one
 * PostgreSQL database, at ECN_HTTP_RATE_LIMIT=10, let through at most 10
 * requests a minute (plus one per instance for the window's edge) for one
 * API key, and for one organisation's two keys together; other
 * organisations keep their own allowance. When the shared counters cannot
 * be reached, each instance counts on its own and says so in its log.
 */
import { describe, expect, it } from "vitest";
import { spawnHttpServer, type HttpServerProcess } from "../helpers/http-stack.js";
import { cliRunner, startProviders, type Providers } from "../helpers/stack.js";
import { openTestLedger, sqlExec } from "../helpers/store.js";

const INSTANCES = 3;
const LIMIT = 10;
/** The allowance's slack: one request per instance for the window's edge. */
const MOST = LIMIT + INSTANCES;
/** A minute: a burst taking longer than that would span two windows, and could rightly pass more. */
const WINDOW_MS = 60_000;

async function keyFor(cli: ReturnType<typeof cliRunner>, org: string): Promise<string> {
  return (JSON.parse((await cli("key", "create", "--org", org, "--json")).stdout) as { key: string }).key;
}

async function fleet(providers: Providers): Promise<HttpServerProcess[]> {
  return Promise.all(Array.from({ length: INSTANCES }, () => spawnHttpServer({ ...providers.env, ECN_HTTP_RATE_LIMIT: String(LIMIT) })));
}

/** `count` wallet reads at once, spread over the instances and the keys in turn; the statuses and refusal messages. */
async function burst(servers: HttpServerProcess[], keys: string[], count: number) {
  const started = Date.now();
  const answers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await fetch(`${servers[i % servers.length]!.url}/api/v1/credits/wallet/`, {
        headers: { authorization: `Bearer ${keys[i % keys.length]}` },
      });
      const body = (await response.json()) as { error?: { code: string; message: string } };
      return { status: response.status, error: body.error, retryAfter: response.headers.get("retry-after") };
    }),
  );
  return { answers, ok: answers.filter((a) => a.status === 200).length, withinOneWindow: Date.now() - started < WINDOW_MS };
}

describe(`the HTTP rate limit across ${INSTANCES} instances on one PostgreSQL database`, () => {
  it(`lets through at most ${LIMIT} requests a minute for one key and for one organisation's two keys, not ${LIMIT} per instance`, async () => {
    const providers = await startProviders();
    const cli = cliRunner(providers.env);
    for (const org of ["acme", "beta", "gamma"]) await cli("org", "create", org);
    const acme = await keyFor(cli, "acme");
    const [beta1, beta2] = [await keyFor(cli, "beta"), await keyFor(cli, "beta")];
    const gamma = await keyFor(cli, "gamma");
    const servers = await fleet(providers);

    const oneKey = await burst(servers, [acme], 4 * LIMIT);
    expect(oneKey.ok).toBeGreaterThanOrEqual(LIMIT);
    if (oneKey.withinOneWindow) expect(oneKey.ok).toBeLessThanOrEqual(MOST);
    const refused = oneKey.answers.filter((a) => a.status !== 200);
    expect(refused.map((a) => a.status)).toEqual(refused.map(() => 429));
    expect(refused[0]!.error).toMatchObject({ code: "rate_limited" });
    expect(Number(refused[0]!.retryAfter)).toBeGreaterThan(0);

    // Two keys of one organisation share its allowance, whichever instance each request reaches.
    const twoKeys = await burst(servers, [beta1, beta2], 4 * LIMIT);
    expect(twoKeys.ok).toBeGreaterThanOrEqual(LIMIT);
    if (twoKeys.withinOneWindow) expect(twoKeys.ok).toBeLessThanOrEqual(MOST);
    expect(twoKeys.answers.find((a) => a.status === 429)?.error?.message).toMatch(/for this organisation \(all its API keys and connections together\)/);

    // Another organisation is not held back by them.
    const other = await burst(servers, [gamma], INSTANCES);
    expect(other.ok).toBe(INSTANCES);
  }, 90_000);

  it("counts in each instance when the shared counters cannot be reached, and logs it", async () => {
    const providers = await startProviders();
    const cli = cliRunner(providers.env);
    await cli("org", "create", "acme");
    const key = await keyFor(cli, "acme");
    const servers = await fleet(providers);
    const ledger = await openTestLedger(providers.target);
    // The counters' table gone: every shared count fails, while keys and wallets still read.
    await sqlExec(ledger, "DROP TABLE rate_limits");

    const alone = await burst([servers[0]!], [key], LIMIT + 2);
    expect(alone.ok).toBe(LIMIT); // this instance's own count still holds the limit
    expect(alone.answers.filter((a) => a.status === 429)).toHaveLength(2);
    expect(servers[0]!.stderr()).toMatch(
      /"level":"warn"[^\n]*"msg":"the shared rate limit counters cannot be reached; counting in this process until they can"/,
    );
  }, 90_000);
});
