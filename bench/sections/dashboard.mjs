// @ts-check
/**
 * The dashboard over a 1M-event ledger: how long its data answers take, the
 * time from navigation to the first chart drawn in headless Chromium (each
 * load a cold browser context), and the bytes a first load ships.
 */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";
import { seedEvents } from "../lib/seed.mjs";
import { benchEnv, cli, freshDb, httpServer } from "../lib/stack.mjs";
import { ms, now, percentile, table } from "../lib/stats.mjs";

const ADMIN_TOKEN = "bench-operator-token-0123456789abcdef";
const CHROMIUM = [process.env.ECN_TEST_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));

/**
 * @param {number[]} samples
 * @param {string} url
 * @param {string} token
 */
async function timed(samples, url, token) {
  const started = now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  samples.push(now() - started);
}

/**
 * One cold load of the organisation page: ms from navigation start to the spend chart existing, and bytes received.
 * @param {import("playwright-core").Browser} browser
 * @param {string} base
 * @param {string} cookie
 * @param {string} orgId
 */
async function firstChart(browser, base, cookie, orgId) {
  const context = await browser.newContext();
  await context.addCookies([{ name: "ecn_dashboard", value: cookie, url: base }]);
  const page = await context.newPage();
  let bytes = 0;
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes().catch(() => null);
    if (sizes) bytes += sizes.responseBodySize + sizes.responseHeadersSize;
  });
  await page.goto(`${base}/dashboard/#/org/${orgId}`);
  // Runs in the page, serialised: only the (comment-only) cast tells tsc that its globalThis is the browser's.
  /** @typedef {{ window: { Chart?: { getChart(element: unknown): unknown } }; document: { querySelector(selector: string): unknown } }} PageGlobals */
  await page.waitForFunction(
    () => {
      const browser = /** @type {PageGlobals} */ (/** @type {unknown} */ (globalThis));
      return browser.window.Chart?.getChart(browser.document.querySelector("[data-test=spend-chart]")) !== undefined;
    },
    null,
    {
      timeout: 30_000,
    },
  );
  const chartAt = await page.evaluate(() => performance.now());
  await page.waitForLoadState("networkidle");
  await context.close();
  return { chartAt, bytes };
}

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ events: number; samples: number; loads: number }} options
 */
export async function dashboardSection(sims, { events, samples, loads }) {
  const dbPath = freshDb();
  const env = { ...benchEnv(sims, dbPath), ECN_ADMIN_TOKEN: ADMIN_TOKEN };
  cli(env, "org", "create", "bench");
  cli(env, "credits", "grant", "--org", "bench", "--credits", "1000000");
  const db = new Database(dbPath, { readonly: true });
  const { id: orgId } = /** @type {{ id: string }} */ (db.prepare("SELECT id FROM orgs WHERE name = 'bench'").get());
  db.close();
  await seedEvents(dbPath, orgId, events);
  const { url, proc } = await httpServer(env);
  try {
    const routes = {
      organisations: `${url}/api/v1/dashboard/orgs`,
      "organisation, 7 days": `${url}/api/v1/dashboard/orgs/${orgId}?period=7d`,
      "organisation, 30 days": `${url}/api/v1/dashboard/orgs/${orgId}?period=30d`,
      "margins, 30 days": `${url}/api/v1/dashboard/margins?period=30d`,
      "ledger health": `${url}/api/v1/dashboard/health`,
    };
    /** @type {Record<string, number[]>} */
    const times = Object.fromEntries(Object.keys(routes).map((name) => [name, []]));
    for (let i = 0; i < samples; i++) for (const [name, route] of Object.entries(routes)) await timed(times[name] ?? [], route, ADMIN_TOKEN);
    /** @type {{ events: number; api: Record<string, { p50: number; p99: number }>; firstChartMs?: { p50: number; max: number }; firstLoadBytes?: number }} */
    const results = { events, api: Object.fromEntries(Object.entries(times).map(([name, s]) => [name, { p50: percentile(s, 50), p99: percentile(s, 99) }])) };
    table(
      `Dashboard data over ${events.toLocaleString("en-US")} usage events, operator token (target: a page's data well under 1 s)`,
      ["answer", "p50", "p99"],
      Object.entries(results.api).map(([name, r]) => [name, ms(r.p50), ms(r.p99)]),
    );

    if (!CHROMIUM) {
      console.log("  browser timing skipped: no chromium (apt-get install chromium, or set ECN_TEST_CHROMIUM)");
      return results;
    }
    const signIn = await fetch(`${url}/dashboard/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: ADMIN_TOKEN }),
    });
    const cookie = /ecn_dashboard=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1];
    if (!cookie) throw new Error(`signing in to the dashboard gave no session cookie (HTTP ${signIn.status})`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const runs = [];
    try {
      for (let i = 0; i < loads; i++) runs.push(await firstChart(browser, url, cookie, orgId));
    } finally {
      await browser.close();
    }
    const firstChartMs = {
      p50: percentile(
        runs.map((r) => r.chartAt),
        50,
      ),
      max: Math.max(...runs.map((r) => r.chartAt)),
    };
    const firstLoadBytes = percentile(
      runs.map((r) => r.bytes),
      50,
    );
    results.firstChartMs = firstChartMs;
    results.firstLoadBytes = firstLoadBytes;
    table(
      `Dashboard in headless Chromium over ${events.toLocaleString("en-US")} events, cold context per load (target: first chart under 1 s)`,
      ["measure", "value"],
      [
        ["navigation to first chart, median of " + loads, ms(firstChartMs.p50)],
        ["navigation to first chart, slowest", ms(firstChartMs.max)],
        ["bytes received on a first load (gzip)", `${(firstLoadBytes / 1024).toFixed(1)} KiB`],
      ],
    );
    return results;
  } finally {
    proc.kill("SIGTERM");
  }
}
