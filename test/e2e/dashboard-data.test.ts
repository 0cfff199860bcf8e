/**
 * The dashboard's data over real HTTP against a seeded ledger (see
 * helpers/dashboard-seed.ts for every figure): exact numbers for the
 * operator and a tenant, a tenant never seeing another organisation (404),
 * sessions by cookie (an operator's bound to the token that opened it), the
 * operator token on the REST API, refusals counted.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { MarginReport } from "../../src/reports/margin-report.js";
import type { MarginsPage } from "../../src/reports/margins.js";
import type { HealthPage, OrgDetail, OrgSummary } from "../../src/reports/views.js";
import { ADMIN_TOKEN, DAY, seedDashboard } from "../helpers/dashboard-seed.js";
import { match } from "../helpers/matchers.js";
import { callToolOverHttp, spawnHttpServer, startHttpStack } from "../helpers/http-stack.js";
import { CLI, PROFILE_ARGS, sqlRows, waitFor } from "../helpers/stack.js";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const json = async <T = Record<string, unknown>>(response: Response) => ({ status: response.status, body: (await response.json()) as T });
type Orgs = { orgs: OrgSummary[] };

describe("dashboard data", () => {
  it("gives a tenant its own figures, exactly, and nothing of another organisation", async () => {
    const { stack, today, orgIds, keys } = await seedDashboard();
    const get = <T = Record<string, unknown>>(path: string, key = keys.acme) => stack.get(path, key).then((r) => json<T>(r));

    const orgs = await get<Orgs>("/api/v1/dashboard/orgs");
    expect(orgs.status).toBe(200);
    expect(orgs.body.orgs).toHaveLength(1);
    expect(orgs.body.orgs[0]).toMatchObject({
      id: orgIds.acme,
      name: "acme",
      balance: { credits: 92, usd: 0.92 },
      held: { credits: 3, usd: 0.03 },
      available: { credits: 89, usd: 0.89 },
      spend_today: { credits: 5, usd: 0.05 },
      spend_7d: { credits: 7, usd: 0.07 },
      spend_30d: { credits: 8, usd: 0.08 },
      days_left: 89,
    });

    const week = await get<OrgDetail>(`/api/v1/dashboard/orgs/${orgIds.acme}?period=7d`);
    expect(week.status).toBe(200);
    const days = Array.from({ length: 7 }, (_, i) => iso(today - (6 - i) * DAY));
    expect(week.body.period).toEqual({ name: "7d", from: days[0], to: days[6], days });
    expect(week.body.total).toEqual({ credits: 7, usd: 0.07, calls: 3 }); // no provider cost for a tenant
    expect(week.body.spend_by_feature).toEqual([
      { feature: "lead_signal_fetch", credits: [0, 0, 0, 0, 0, 0, 5], usd: [0, 0, 0, 0, 0, 0, 0.05] },
      { feature: "profile_draft", credits: [0, 0, 0, 0, 2, 0, 0], usd: [0, 0, 0, 0, 0.02, 0, 0] },
    ]);
    expect(week.body.balance).toEqual([99, 99, 99, 99, 97, 97, 92]);
    expect(week.body.spend_by_model).toEqual([
      { provider: "apify", model: "apify/google-search-scraper", events: 1, spend: { credits: 5, usd: 0.05 } },
      { provider: "openrouter", model: "openai/gpt-4o-mini", events: 2, spend: { credits: 2, usd: 0.02 } },
    ]);
    expect(week.body.recent_calls.map((c: { feature: string; state: string; charged_credits: number }) => [c.feature, c.state, c.charged_credits])).toEqual([
      ["funnel_generate", "held", 0],
      ["lead_signal_fetch", "settled", 5],
      ["profile_draft", "voided", 0],
      ["profile_draft", "settled", 2],
      ["profile_draft", "settled", 1],
    ]);
    expect(week.body.recent_calls[0]).not.toHaveProperty("cost_usd");
    expect(week.body.refusals).toEqual([]);

    const month = await get<OrgDetail>(`/api/v1/dashboard/orgs/acme?period=30d`); // by name too
    expect(month.body.total).toEqual({ credits: 8, usd: 0.08, calls: 4 });
    const custom = await get<OrgDetail>(`/api/v1/dashboard/orgs/acme?period=custom&from=${iso(today - 9 * DAY)}&to=${iso(today - 9 * DAY)}`);
    expect(custom.body.spend_by_feature).toEqual([{ feature: "profile_draft", credits: [1], usd: [0.01] }]);
    expect(custom.body.balance).toEqual([99]);

    // Another organisation, by id or by name: not found, not forbidden, no data.
    for (const path of [`/api/v1/dashboard/orgs/${orgIds.globex}`, "/api/v1/dashboard/orgs/globex", "/api/v1/dashboard/orgs/nobody"]) {
      const other = await get(path);
      expect(other.status, path).toBe(404);
      expect(Object.keys(other.body)).toEqual(["error"]); // nothing of globex's data, not even that it exists
    }
    expect((await get("/api/v1/dashboard/margins")).status).toBe(403);
    expect((await get("/api/v1/dashboard/health")).status).toBe(403);
    expect((await stack.get("/api/v1/dashboard/orgs")).status).toBe(401);
    expect((await get("/api/v1/dashboard/orgs/acme?period=custom&from=2026-01-01")).status).toBe(400);
    expect((await get("/api/v1/dashboard/orgs/acme?period=year")).status).toBe(400);
  });

  it("gives the operator every organisation, provider costs, margins that match check-margins, and ledger health", async () => {
    const { stack, today, orgIds, keys } = await seedDashboard();
    const get = <T = Record<string, unknown>>(path: string) => stack.get(path, ADMIN_TOKEN).then((r) => json<T>(r));

    const orgs = await get<Orgs>("/api/v1/dashboard/orgs");
    expect(orgs.body.orgs.map((o: { name: string }) => o.name).sort()).toEqual(["acme", "globex"]);
    expect(orgs.body.orgs.find((o: { name: string }) => o.name === "globex")).toMatchObject({
      balance: { credits: 47 },
      spend_7d: { credits: 3 },
      days_left: 109.6,
    });

    const acme = await get<OrgDetail>(`/api/v1/dashboard/orgs/${orgIds.acme}?period=7d`);
    expect(acme.body.total).toEqual({ credits: 7, usd: 0.07, calls: 3, cost_usd: 0.056 });
    expect(acme.body.spend_by_model[0]).toMatchObject({ model: "apify/google-search-scraper", cost_usd: 0.04 });

    // A refused call: counted per day, and no provider request was made.
    const paid = () => stack.providers.sim.requests.filter((r) => r.paid).length;
    await stack.cli("budget", "set", "--org", "globex", "--period", "day", "--credits", "0.5");
    const refused = await callToolOverHttp(stack.url, keys.globex, "profile_draft", PROFILE_ARGS);
    expect(refused).toEqual({ ok: false, code: "budget_exceeded" });
    expect(paid()).toBe(0);
    const globex = await get<OrgDetail>(`/api/v1/dashboard/orgs/globex?period=today`);
    expect(globex.body.refusals).toEqual([{ code: "budget_exceeded", counts: [1] }]);
    expect(globex.body.budgets).toEqual([expect.objectContaining({ period: "day", hard: true, limit_credits: 0.5, used_credits: 0, fill_pct: 0 })]);

    const margins = await get<MarginsPage>("/api/v1/dashboard/margins?period=30d");
    const since = new Date(today - 29 * DAY).toISOString();
    const until = new Date(today + DAY).toISOString();
    const cli = JSON.parse(
      (await stack.cli("check-margins", "--since", since, "--until", until, "--json").catch((e: { stdout: string }) => e)).stdout,
    ) as MarginReport;
    expect(margins.body.report.features).toEqual(cli.features);
    expect(margins.body.report.total).toEqual(cli.total);
    expect(margins.body.report.losing_features).toEqual(["outreach_draft"]);
    // Each figure names the markup it was charged at: profile_draft at 1.25 (acme) and at 2 (globex), neither flagged.
    expect(margins.body.report.markups.map((m: { markup: number }) => m.markup)).toEqual([1.25, 2]);
    const profile = margins.body.report.features.find((f: { feature: string }) => f.feature === "profile_draft");
    expect(profile!.markups.map((m: { markup: number; calls: number; revenue_usd: number }) => [m.markup, m.calls, m.revenue_usd])).toEqual([
      [1.25, 3, 0.03],
      [2, 1, 0.02],
    ]); // the voided call counts as a call
    expect(profile!.flags).toEqual([]);
    expect(margins.body.daily.cost_usd.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(0.008 + 0.016 + 0.04 + 0.1 + 0.01, 9);
    expect(margins.body.daily.revenue_usd.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(0.01 + 0.02 + 0.05 + 0.01 + 0.02, 9);

    const health = await get<HealthPage>("/api/v1/dashboard/health");
    expect(health.body.counts).toEqual({ open: 1, unknown: 0 });
    expect(health.body.open_calls[0]).toMatchObject({ org_id: orgIds.acme, feature: "funnel_generate", state: "held", owner: null, owner_status: "none" });
    await stack.cli("reconcile");
    const after = await get<HealthPage>("/api/v1/dashboard/health");
    expect(after.body.last_reconcile).toMatchObject({ source: "command", summary: { examined: 1, too_recent: 1 } });
  });

  it("signs in with a pasted key into an httpOnly, SameSite=Strict session holding no key, and signs out", async () => {
    const { stack, orgIds, keys } = await seedDashboard();
    const signIn = (key: string, origin?: string) =>
      fetch(`${stack.url}/dashboard/session`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(origin ? { origin } : {}) },
        body: JSON.stringify({ key }),
      });

    expect((await signIn("ecn_sk_wrong")).status).toBe(401);
    expect((await signIn(keys.acme, "https://evil.example")).status).toBe(403); // the Origin guard covers the pages
    const ok = await signIn(keys.acme, stack.url);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^ecn_dashboard=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toContain(keys.acme.slice(7));
    const session = cookie.split(";")[0]!;
    const withCookie = (path: string) => fetch(stack.url + path, { headers: { cookie: session } }).then(json);

    expect((await withCookie("/api/v1/dashboard/me")).body).toEqual({ viewer: { kind: "tenant", org: { id: orgIds.acme, name: "acme" } } });
    expect((await withCookie(`/api/v1/dashboard/orgs/${orgIds.globex}`)).status).toBe(404);
    // The cookie is for the dashboard only: it is no API key on /mcp or the REST API.
    expect((await fetch(`${stack.url}/api/v1/credits/wallet/`, { headers: { cookie: session } })).status).toBe(401);

    const out = await fetch(`${stack.url}/dashboard/session`, { method: "DELETE", headers: { cookie: session } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await withCookie("/api/v1/dashboard/me")).status).toBe(401);

    // A revoked key ends its sessions at once.
    const again = (await signIn(keys.acme)).headers.get("set-cookie")!.split(";")[0]!;
    const [record] = await stack.ledger.listApiKeys(orgIds.acme);
    await stack.cli("key", "revoke", record!.id);
    expect((await fetch(`${stack.url}/api/v1/dashboard/me`, { headers: { cookie: again } })).status).toBe(401);

    const page = await fetch(`${stack.url}/dashboard/`, { headers: { "accept-encoding": "gzip" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('src="chart.umd.min.js"');
    expect((await fetch(`${stack.url}/dashboard/chart.umd.min.js`)).status).toBe(200);
  });

  it("lets the operator token read any organisation on the REST API, and call no tool", async () => {
    const { stack, orgIds } = await seedDashboard();
    const wallet = await stack.get("/api/v1/credits/wallet/?org=acme", ADMIN_TOKEN).then(json);
    expect(wallet.body).toMatchObject({ org_id: orgIds.acme, balance_credits: 92 });
    expect((await stack.get("/api/v1/credits/wallet/", ADMIN_TOKEN)).status).toBe(400);
    expect((await stack.get("/api/v1/usage/?org=nobody", ADMIN_TOKEN)).status).toBe(404);
    const usage = await stack.get(`/api/v1/usage/?org=${orgIds.globex}`, ADMIN_TOKEN).then(json);
    expect(usage.body.events).toHaveLength(2);
    expect(await callToolOverHttp(stack.url, ADMIN_TOKEN, "get_wallet_balance", {})).toEqual({ ok: false, code: "http_403" });
  });
});

describe("operator sessions are bound to the operator token that opened them", () => {
  const ROTATED = "rotated-operator-token-9876543210abc";
  const signIn = (url: string, key: string) =>
    fetch(`${url}/dashboard/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) }).then(
      (r) => r.headers.get("set-cookie")!.split(";")[0]!,
    );
  const statusWith = (url: string, cookie: string) => fetch(`${url}/api/v1/dashboard/orgs`, { headers: { cookie } }).then((r) => r.status);

  it("dies when the token is rotated or unset, on every server sharing the ledger, while a tenant's session lives on", async () => {
    const stack = await startHttpStack({ env: { ECN_ADMIN_TOKEN: ADMIN_TOKEN } });
    const operator = await signIn(stack.url, ADMIN_TOKEN);
    const tenant = await signIn(stack.url, stack.keys.acme!);
    expect(await statusWith(stack.url, operator)).toBe(200);
    // The ledger keeps a keyed hash of the token, not the token.
    const stored = await sqlRows(stack.ledger, "SELECT * FROM dashboard_sessions WHERE org_id IS NULL");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.operator_binding).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(ADMIN_TOKEN);

    const [sameToken, rotated, noToken] = await Promise.all([
      spawnHttpServer({ ...stack.providers.env, ECN_ADMIN_TOKEN: ADMIN_TOKEN }),
      spawnHttpServer({ ...stack.providers.env, ECN_ADMIN_TOKEN: ROTATED }),
      spawnHttpServer(Object.fromEntries(Object.entries(stack.providers.env).filter(([name]) => name !== "ECN_ADMIN_TOKEN"))),
    ]);
    expect(await statusWith(sameToken.url, operator)).toBe(200);
    expect(await statusWith(rotated.url, operator)).toBe(401);
    expect(await statusWith(noToken.url, operator)).toBe(401);
    for (const server of [rotated, noToken]) expect(await statusWith(server.url, tenant)).toBe(200);
    // The new token opens a session of its own, which the old token's servers do not accept.
    const renewed = await signIn(rotated.url, ROTATED);
    expect(await statusWith(rotated.url, renewed)).toBe(200);
    expect(await statusWith(stack.url, renewed)).toBe(401);
  });

  it("`dashboard sessions revoke --all` signs everyone out at once and says how many", async () => {
    const stack = await startHttpStack({ env: { ECN_ADMIN_TOKEN: ADMIN_TOKEN } });
    const cookies = [await signIn(stack.url, ADMIN_TOKEN), await signIn(stack.url, stack.keys.acme!), await signIn(stack.url, stack.keys.acme!)];
    for (const cookie of cookies) expect(await statusWith(stack.url, cookie)).toBe(200);
    await expect(stack.cli("dashboard", "sessions", "revoke")).rejects.toMatchObject({ code: 1, stderr: match.stringMatching(/invalid_input: .*--all/) });
    expect((await stack.cli("dashboard", "sessions", "revoke", "--all")).stdout).toBe("3 dashboard session(s) revoked; everyone signs in again.\n");
    for (const cookie of cookies) expect(await statusWith(stack.url, cookie)).toBe(401);
    expect(JSON.parse((await stack.cli("dashboard", "sessions", "revoke", "--all", "--json")).stdout)).toEqual({ revoked: 0 });
  });
});

describe("ecn-mcp dashboard", () => {
  it("serves the dashboard alone on 127.0.0.1 with a sign-in link that works once", async () => {
    const { stack, orgIds } = await seedDashboard();
    const proc = spawn(process.execPath, [CLI, "dashboard", "--port", "0"], { env: stack.providers.env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let stdout = "";
      proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor(() => /sign-in\?token=/.test(stdout));
      const link = /(http:\/\/127\.0\.0\.1:\d+)\/dashboard\/sign-in\?token=([\w-]+)/.exec(stdout)!;
      expect(stdout).not.toContain(ADMIN_TOKEN);
      const first = await fetch(link[0], { redirect: "manual" });
      expect(first.status).toBe(303);
      expect(first.headers.get("location")).toBe("/dashboard/");
      const session = first.headers.get("set-cookie")!.split(";")[0]!;
      expect((await fetch(link[0], { redirect: "manual" })).status).toBe(401); // once only
      const orgs = await fetch(`${link[1]}/api/v1/dashboard/orgs`, { headers: { cookie: session } }).then((r) => json<Orgs>(r));
      expect(orgs.body.orgs.map((o: { id: string }) => o.id).sort()).toEqual([orgIds.acme, orgIds.globex].sort());
      expect((await fetch(`${link[1]}/mcp`, { method: "POST" })).status).toBe(404); // the dashboard alone: no MCP here
      expect((await fetch(`${link[1]}/dashboard/`)).status).toBe(200);
      // A link's session is this dashboard process's own: the HTTP server on the same ledger, token and all, refuses it.
      expect((await fetch(`${stack.url}/api/v1/dashboard/orgs`, { headers: { cookie: session } })).status).toBe(401);
    } finally {
      proc.kill("SIGINT");
      await new Promise((resolve) => proc.once("exit", resolve));
    }
  });
});
