/// <reference lib="dom" />
/**
 * `mcp-remote` (the npm bridge many desktop clients use for remote servers),
 * given the URL and no header, completes the whole OAuth flow against the
 * built server: discovery from the 401, registration, the browser step
 * (its "open a browser" lands in a script that hands the URL to this test,
 * which drives Chromium through sign-in and consent), token; then an MCP
 * client talking to it over stdio runs a paid tool, charged to the
 * connection.
 */
import { readFileSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { CHROMIUM } from "../helpers/chromium.js";
import { startHttpStack } from "../helpers/http-stack.js";
import { allow, openBrowser, signInWithKey } from "../helpers/oauth-browser.js";
import { PROFILE_ARGS, waitFor } from "../helpers/stack.js";
import { tempDir } from "../helpers/temp-ledger.js";

const BRIDGE = join(createRequire(import.meta.url).resolve("mcp-remote/package.json"), "..", "dist", "proxy.js");

let client: Client | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  client = undefined;
});

describe.skipIf(!CHROMIUM)("mcp-remote with no header", () => {
  it("completes OAuth against the server (the browser step in Chromium) and runs a paid tool through the connection", async () => {
    const stack = await startHttpStack({ orgs: { acme: "100" } });
    const dir = tempDir();
    // Where mcp-remote would open a browser (xdg-open runs $BROWSER when there is no desktop): write the URL down instead.
    const opened = join(dir, "opened.txt");
    const browserScript = join(dir, "browser.sh");
    writeFileSync(browserScript, `#!/bin/sh\necho "$1" >> "${opened}"\n`);
    chmodSync(browserScript, 0o755);

    let bridgeLog = "";
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BRIDGE, `${stack.url}/mcp`, "--host", "127.0.0.1"],
      env: { PATH: process.env.PATH ?? "", HOME: dir, BROWSER: browserScript, MCP_REMOTE_CONFIG_DIR: join(dir, "mcp-auth") },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (bridgeLog += chunk.toString()));
    client = new Client({ name: "desktop-app", version: "1.0.0" });
    const connected = client.connect(transport, { timeout: 120_000 });

    await waitFor(
      () => existsSync(opened),
      60_000,
      () => bridgeLog,
    );
    const url = readFileSync(opened, "utf8").trim().split("\n")[0]!;
    expect(new URL(url).origin).toBe(stack.url);
    const { page } = await openBrowser([stack.url, "http://127.0.0.1"]);
    await page.goto(url);
    await signInWithKey(page, stack.keys.acme!);
    await allow(page, "25");
    await connected;

    const paid = (await client.callTool({ name: "profile_draft", arguments: PROFILE_ARGS }, undefined, { timeout: 60_000 })) as CallToolResult;
    expect(paid.isError, JSON.stringify(paid.content)).toBeFalsy();
    const [connection] = await stack.ledger.listConnections(null, 0);
    expect(connection).toMatchObject({ orgId: stack.orgIds.acme, dayCapMicroCredits: 25_000_000n, scope: "tools:free tools:paid" });
    expect(connection!.calls).toBe(1);
    expect(stack.providers.sim.paidRequests()).toHaveLength(1);
  }, 240_000);
});
