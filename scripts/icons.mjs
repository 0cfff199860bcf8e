// Rasterises assets/icon.svg into the PNG icons the .mcpb bundle and the registry entry point to.
// Uses the machine's chromium through playwright-core (never a downloaded browser); run it after
// editing the SVG and commit both files: `npm run icons`.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "..");
const svg = readFileSync(resolve(root, "assets/icon.svg"), "utf8");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const sizes = [512, 128];

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  for (const size of sizes) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace(/width="512" height="512"/, `width="${size}" height="${size}"`)}</body></html>`,
    );
    const file = resolve(root, size === 512 ? "assets/icon.png" : `assets/icon-${size}.png`);
    await page.screenshot({ path: file, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
    console.log(`${file}: ${size}x${size}`);
  }
} finally {
  await browser.close();
}
