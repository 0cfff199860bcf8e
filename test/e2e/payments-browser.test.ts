/// <reference lib="dom" />
/**
 * Buying credits in real headless Chromium (Debian's, driven by
 * playwright-core): a tenant signs in to the dashboard, picks a pack, is sent
 * to the (simulated) Stripe Checkout page, is declined once, pays, comes back
 * to the dashboard and sees the credits arrive.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { CHROMIUM } from "../helpers/chromium.js";
import { grants, startPaymentsStack } from "../helpers/payments.js";

const SHOTS = "test-results";
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

describe.skipIf(!CHROMIUM)("buying credits in Chromium", { timeout: 180_000 }, () => {
  it("signs in, buys a pack on Stripe's page, comes back and sees the balance", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const stack = await startPaymentsStack({
      packs: [
        { name: "starter", credits: "1000", usd: "10" },
        { name: "team", credits: "5000", usd: "45" },
      ],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${stack.url}/dashboard/`);
    await page.locator("[data-test=key]").fill(stack.keys.acme!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("[data-test=balance]").textContent()).toBe("1 cr · $0.01");
    expect(await page.locator("[data-test=recharge]").textContent()).toContain("not set up");

    await page.locator("[data-test=pack]").selectOption("team");
    await page.locator("[data-test=buy]").click();
    await page.waitForURL((url) => url.toString().startsWith(stack.stripe.baseUrl));
    expect(await page.locator("[data-test=amount]").textContent()).toBe("Pay $45.00");
    await page.locator("[data-test=card]").fill("4000 0000 0000 0002");
    await page.locator("[data-test=pay]").click();
    await expect.poll(() => page.locator("[data-test=error]").textContent()).toBe("Your card was declined.");
    await page.screenshot({ path: `${SHOTS}/checkout-declined.png`, fullPage: true });
    await page.locator("[data-test=card]").fill("4242 4242 4242 4242");
    await page.locator("[data-test=pay]").click();

    await page.waitForURL((url) => url.toString().startsWith(`${stack.url}/dashboard/`));
    expect(new URL(page.url()).searchParams.get("checkout")).toBe("success");
    await expect.poll(() => page.locator("[data-test=balance]").textContent(), { timeout: 60_000 }).toBe("5,001 cr · $50.01");
    expect(await page.locator("[data-test=checkout-returned]").isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/checkout-returned.png`, fullPage: true });
    expect((await grants(stack)).filter((g) => g.ref !== null).map((g) => g.amount)).toEqual([5000]);
    expect(errors).toEqual([]);
  });
});
