/**
 * The MCP SDK's own OAuth client, as an app on this machine runs it: an
 * OAuthClientProvider keeping its registration and tokens in memory, and a
 * loopback callback server that catches the authorization code. Where the
 * SDK would open a browser, the URL is handed to the test, which drives
 * Chromium to it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterEach } from "vitest";

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) await new Promise((resolve) => servers.pop()!.close(resolve));
});

/** A loopback page that receives the authorization redirect: resolves each `next()` with the code (or error) it got. */
export async function callbackServer(): Promise<{ url: string; next: () => Promise<URL> }> {
  let waiting: ((url: URL) => void) | undefined;
  const arrived: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>done</title><p>You can close this window.</p>");
    if (waiting) waiting(url);
    else arrived.push(url);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    next: () => (arrived.length ? Promise.resolve(arrived.shift()!) : new Promise((resolve) => (waiting = resolve))),
  };
}

/** An app's OAuth state, in memory; `authorizations` yields each URL the SDK asks to open in a browser. */
export class TestOAuthProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  readonly opened: URL[] = [];
  private waiting: ((url: URL) => void) | undefined;

  constructor(
    readonly redirectUrl: string,
    private readonly name: string,
    /** A client ID metadata document's URL: the SDK uses it as the client id when the server supports them. */
    readonly clientMetadataUrl?: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  /** What an app does when the server says its credentials are no good: forget them, then authorize anew. */
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "client") this.client = undefined;
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = "";
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  redirectToAuthorization(url: URL) {
    if (this.waiting) this.waiting(url);
    else this.opened.push(url);
    this.waiting = undefined;
  }

  /** The next URL the SDK wants a browser to open (one it asked for already, or the next one). */
  nextAuthorization(): Promise<URL> {
    const seen = this.opened.shift();
    return seen ? Promise.resolve(seen) : new Promise((resolve) => (this.waiting = resolve));
  }
}
