/// <reference lib="dom" />
/**
 * The dashboard in real headless Chromium (Debian's, driven by
 * playwright-core): a tenant signs in with its key and sees its seeded
 * balance and spend chart, switches the period, signs out; the operator
 * signs in and finds the loss-making feature flagged on the margins page.
 * Screenshots land in test-results/ for a person to look at.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { CHROMIUM } from "../helpers/chromium.js";
import { ADMIN_TOKEN, DAY, seedDashboard } from "../helpers/dashboard-seed.js";

const SHOTS = "test-results";
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; foreign: string[]; errors: string[] }> {
  browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport });
  const foreign: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(url)) foreign.push(request.url());
  });
  // Script errors and Content-Security-Policy violations both land here.
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 401/.test(message.text())) errors.push(message.text());
  });
  await page.goto(`${url}/dashboard/`);
  return { page, foreign, errors };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.locator("[data-test=key]").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** What a chart on the page was drawn with: its labels and each dataset's label and values. */
function chartData(page: Page, test: string) {
  return page.evaluate((selector) => {
    const chart = (
      window as unknown as { Chart: { getChart(el: Element): { data: { labels: string[]; datasets: { label: string; data: number[] }[] } } | undefined } }
    ).Chart.getChart(document.querySelector(selector)!);
    return chart ? { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })) } : null;
  }, `[data-test=${test}]`);
}

describe.skipIf(!CHROMIUM)("dashboard in Chromium", () => {
  it("shows a tenant its balance and spend chart, switches the period, signs out; shows the operator the losing feature", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { stack, today, keys } = await seedDashboard();
    const { page, foreign, errors } = await open(stack.url);

    await expect.poll(() => page.locator("[data-test=sign-in]").isVisible()).toBe(true);
    await signIn(page, "ecn_sk_not-a-key");
    await expect.poll(() => page.locator("[data-test=sign-in-error]").textContent()).toMatch(/wrong or revoked/);

    await signIn(page, keys.acme);
    await expect.poll(() => page.locator("[data-test=balance]").textContent()).toBe("92 cr · $0.92");
    expect(await page.locator("[data-test=org-name]").textContent()).toBe("acme");
    expect(await page.locator("[data-test=period-spend]").textContent()).toBe("7 cr · $0.07");
    await expect
      .poll(() => chartData(page, "spend-chart"))
      .toMatchObject({
        datasets: [
          { label: "lead_signal_fetch", data: [0, 0, 0, 0, 0, 0, 5] },
          { label: "profile_draft", data: [0, 0, 0, 0, 2, 0, 0] },
        ],
      });
    expect((await chartData(page, "balance-chart"))!.datasets[0]!.data).toEqual([99, 99, 99, 99, 97, 97, 92]);
    expect(await page.locator("[data-test=calls] tbody tr").count()).toBe(5);
    expect(await page.getByText("Provider cost").count()).toBe(0); // a tenant never sees our cost
    await page.screenshot({ path: `${SHOTS}/dashboard-tenant.png`, fullPage: true });

    await page.locator("[data-test=period]").selectOption("30d");
    await expect.poll(() => page.locator("[data-test=period-spend]").textContent()).toBe("8 cr · $0.08");
    expect((await chartData(page, "spend-chart"))!.labels).toHaveLength(30);
    await page.locator("[data-test=period]").selectOption("custom");
    const nineDaysAgo = new Date(today - 9 * DAY).toISOString().slice(0, 10);
    await page.locator("[data-test=from]").fill(nineDaysAgo);
    await page.locator("[data-test=to]").fill(nineDaysAgo);
    await expect.poll(() => page.locator("[data-test=period-spend]").textContent()).toBe("1 cr · $0.01");

    await page.locator("[data-test=sign-out]").click();
    await expect.poll(() => page.locator("[data-test=sign-in]").isVisible()).toBe(true);
    await page.reload();
    await expect.poll(() => page.locator("[data-test=sign-in]").isVisible()).toBe(true); // the session is gone, not just hidden

    await signIn(page, ADMIN_TOKEN);
    await expect.poll(() => page.locator("[data-test=orgs] tbody tr").count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}/dashboard-organisations.png`, fullPage: true });
    await page.getByRole("link", { name: "Margins" }).click();
    await expect.poll(() => page.locator("[data-test=flags-outreach_draft]").textContent()).toContain("LOSS");
    expect(await page.locator("[data-test=loss-alert]").textContent()).toBe("Losing money on: outreach_draft");
    expect(await page.locator("[data-test=flags-profile_draft]").textContent()).toBe(""); // charged at its own markups: no flag
    expect(await page.locator("[data-test=markups]").textContent()).toContain("Markups charged in this period: ×1.25, ×2");
    expect(await page.getByText("charged at ×2").count()).toBe(2); // profile_draft's and the total's row at markup 2
    await expect.poll(() => chartData(page, "margin-chart").then((c) => c?.datasets.map((d) => d.label))).toEqual(["provider cost", "revenue"]);
    await page.screenshot({ path: `${SHOTS}/dashboard-margins.png`, fullPage: true });

    await page.getByRole("link", { name: "Ledger health" }).click();
    await expect.poll(() => page.locator("[data-test=open-calls]").textContent()).toBe("1");
    expect(foreign).toEqual([]); // every asset from our server: no CDN, works offline
    expect(errors).toEqual([]);
  });

  it("fits a phone screen", async () => {
    const { stack, keys } = await seedDashboard();
    const { page } = await open(stack.url, { width: 390, height: 844 });
    await signIn(page, keys.acme);
    await expect.poll(() => page.locator("[data-test=balance]").textContent()).toBe("92 cr · $0.92");
    await expect.poll(() => chartData(page, "spend-chart").then((c) => c !== null)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${SHOTS}/dashboard-phone.png`, fullPage: true });
  });
});
