/**
 * The dashboard's files, served from the installed package and nowhere else
 * (no CDN: it works offline and behind a firewall). Read once at start and
 * kept gzipped in memory; the chart library comes from its own package.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

export type DashboardAssets = Map<string, Asset>;

const UI = join(dirname(fileURLToPath(import.meta.url)), "ui");
const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", css: "text/css; charset=utf-8", js: "text/javascript; charset=utf-8" };

/** Every asset by its name under /dashboard/. */
export function loadDashboardAssets(): DashboardAssets {
  const chartJs = join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js");
  const files: Record<string, string> = { "chart.umd.min.js": chartJs };
  for (const name of readdirSync(UI)) if (/\.(html|css|js)$/.test(name)) files[name] = join(UI, name);
  const assets: DashboardAssets = new Map();
  for (const [name, path] of Object.entries(files)) {
    const body = readFileSync(path);
    assets.set(name, { type: TYPES[name.split(".").pop()!]!, body, gzip: gzipSync(body, { level: 9 }) });
  }
  return assets;
}
