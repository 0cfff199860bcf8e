/**
 * Chromium for the connector tests (Debian's, through playwright-core): a
 * browser per test, the sign-in and consent pages filled as a person would,
 * and the checks every one of our pages must pass (nothing loaded from
 * elsewhere, no script or CSP error).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterEach } from "vitest";
import { CHROMIUM } from "./chromium.js";
import { tempDir } from "./temp-ledger.js";

export const SHOTS = "test-results";

let browser: Browser | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  while (closers.length) await closers.pop()!();
});

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to anywhere but the servers named. */
  foreign: string[];
  /** Script errors and Content-Security-Policy violations. */
  errors: string[];
}

/** A fresh browser context and page; `own` are the origins its pages may load from. */
export async function openBrowser(own: string[], viewport = { width: 1280, height: 900 }): Promise<Watched> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => {
    if (!own.some((origin) => request.url().startsWith(origin))) foreign.push(request.url());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { context, page, foreign, errors };
}

/** On the sign-in page: paste the organisation's API key. */
export async function signInWithKey(page: Page, key: string): Promise<void> {
  await page.locator("[data-test=key]").fill(key);
  await page.locator("[data-test=key-submit]").click();
  await page.locator("[data-test=consent-form]").waitFor();
}

/** On the consent page: set the cap (if given) and allow. */
export async function allow(page: Page, cap?: string): Promise<void> {
  if (cap !== undefined) await page.locator("[data-test=cap]").fill(cap);
  await page.locator("[data-test=allow]").click();
}

/** True when the page is no wider than the screen (it works on a phone). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

const run = promisify(execFile);

/**
 * An https server on 127.0.0.1 with a certificate made for the test (openssl),
 * serving `documents` by path; `caFile` is the certificate, for a process to trust.
 */
export async function httpsDocuments(documents: (origin: string) => Record<string, unknown>): Promise<{ origin: string; caFile: string }> {
  const dir = tempDir();
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  let origin = "";
  const server: HttpsServer = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const body = documents(origin)[req.url ?? ""];
    if (body === undefined) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=60" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, caFile: cert };
}
