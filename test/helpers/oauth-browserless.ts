/**
 * An OAuth client and a person's browser, played with fetch: register,
 * authorize with PKCE, follow the redirects with a cookie jar, fill the
 * sign-in and consent forms as the pages give them (their CSRF token
 * included), exchange the code. For the tests that are about the
 * authorization server's rules rather than a browser (the Chromium tests
 * drive the same pages for real).
 */
import { createHash, randomBytes } from "node:crypto";

/** Cookies as a browser keeps them for one site: name -> value (paths are all under /, and tests use one host). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join("="));
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

/** Dynamic client registration (RFC 7591): a public client with a loopback redirect. */
export async function register(base: string, metadata: Record<string, unknown> = {}): Promise<{ status: number; body: RegisteredClient & { error?: string } }> {
  const response = await fetch(`${base}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test App",
      redirect_uris: ["http://127.0.0.1:9/callback"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  return { status: response.status, body: (await response.json()) as RegisteredClient & { error?: string } };
}

export interface Browsed {
  status: number;
  url: string;
  html: string;
  /** Where the last redirect pointed when it left this server (the client's redirect URI), if it did. */
  leftTo: URL | null;
  headers: Headers;
}

/** Follows redirects within the server, as a browser would, stopping at a page or at a redirect that leaves it. */
export async function browse(base: string, jar: CookieJar, url: string, init: RequestInit = {}): Promise<Browsed> {
  let next = url;
  let request = init;
  for (let hops = 0; hops < 10; hops++) {
    const response = await fetch(next, { ...request, redirect: "manual", headers: { ...(request.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, next);
      if (!target.href.startsWith(base)) return { status: response.status, url: next, html: "", leftTo: target, headers: response.headers };
      next = target.href;
      request = {};
      continue;
    }
    return { status: response.status, url: next, html: await response.text(), leftTo: null, headers: response.headers };
  }
  throw new Error("too many redirects");
}

export function authorizeUrl(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${base}/oauth/authorize`);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/**
 * The authorization request a client makes: the code flow with a PKCE S256
 * challenge for both scopes; `extra` adds parameters or replaces these
 * (undefined leaves one out).
 */
export function codeRequestUrl(
  base: string,
  client: { clientId: string; redirectUri: string; challenge: string },
  extra: Record<string, string | undefined> = {},
): string {
  return authorizeUrl(base, {
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: "code",
    scope: "tools:free tools:paid",
    code_challenge: client.challenge,
    code_challenge_method: "S256",
    ...extra,
  });
}

/** The CSRF token of the page's forms. */
export const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

/** Posts one of the page's forms (its action is `step`: key, dashboard, consent, cancel) as the page would. */
export function submit(base: string, jar: CookieJar, page: Browsed, step: string, fields: Record<string, string>): Promise<Browsed> {
  const uid = /\/oauth\/interaction\/([^/?#]+)/.exec(page.url)?.[1] ?? "";
  const body = new URLSearchParams({ csrf: csrfOf(page.html), ...fields });
  return browse(base, jar, `${base}/oauth/interaction/${uid}/${step}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: body.toString(),
  });
}

export interface Authorized {
  code: string;
  state: string | null;
  redirect: URL;
}

export interface FlowOptions {
  clientId: string;
  redirectUri: string;
  scope?: string;
  apiKey: string;
  cap?: string;
  /** Leave "Paid tools" ticked (default true). */
  paid?: boolean;
  resource?: string;
}

/** The whole browser part: authorize, sign in with an API key, allow with a cap; the code the client gets back. */
export async function authorizeWithKey(base: string, options: FlowOptions): Promise<Authorized & { verifier: string; jar: CookieJar }> {
  const jar = new CookieJar();
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString("hex");
  const signIn = await browse(
    base,
    jar,
    codeRequestUrl(
      base,
      { clientId: options.clientId, redirectUri: options.redirectUri, challenge },
      { scope: options.scope ?? "tools:free tools:paid", state, resource: options.resource ?? `${base}/mcp` },
    ),
  );
  if (!signIn.html.includes('data-test="key-form"')) throw new Error(`no sign-in page (${signIn.status}): ${signIn.html.slice(0, 300)}`);
  const consent = await submit(base, jar, signIn, "key", { key: options.apiKey });
  if (!consent.html.includes('data-test="consent-form"')) throw new Error(`no consent page (${consent.status}): ${consent.html.slice(0, 300)}`);
  const org = /name="org" value="([^"]+)"/.exec(consent.html)?.[1] ?? "";
  const done = await submit(base, jar, consent, "consent", { org, cap: options.cap ?? "100", ...(options.paid === false ? {} : { paid: "1" }) });
  if (!done.leftTo) throw new Error(`consent did not return to the app (${done.status}): ${done.html.slice(0, 300)}`);
  return { code: done.leftTo.searchParams.get("code") ?? "", state: done.leftTo.searchParams.get("state"), redirect: done.leftTo, verifier, jar };
}

export interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; scope?: string; error?: string; error_description?: string; expires_in?: number };
}

export async function tokenRequest(base: string, fields: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer["body"] };
}

/** Registration, the browser part and the code exchange: a connection's tokens. */
export async function connect(base: string, options: Omit<FlowOptions, "clientId" | "redirectUri"> & { clientName?: string }) {
  const redirectUri = "http://127.0.0.1:9/callback";
  const client = (await register(base, { client_name: options.clientName ?? "Test App", redirect_uris: [redirectUri] })).body;
  const authorized = await authorizeWithKey(base, { ...options, clientId: client.client_id, redirectUri });
  const tokens = await tokenRequest(base, {
    grant_type: "authorization_code",
    code: authorized.code,
    redirect_uri: redirectUri,
    client_id: client.client_id,
    code_verifier: authorized.verifier,
    resource: `${base}/mcp`,
  });
  if (!tokens.body.access_token) throw new Error(`no token: ${JSON.stringify(tokens.body)}`);
  return { client, tokens: tokens.body as Required<Pick<TokenAnswer["body"], "access_token" | "refresh_token">> & TokenAnswer["body"], authorized };
}

export interface McpAnswer {
  status: number;
  headers: Headers;
  /** The tool result's text (JSON or an error line), or the HTTP error body. */
  text: string;
  isError: boolean;
}

/** One tool call with a bearer (an access token or an API key), as a raw Streamable HTTP request. */
export async function callTool(base: string, bearer: string, name: string, args: Record<string, unknown> = {}): Promise<McpAnswer> {
  const response = await fetch(`${base}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  const body = await response.text();
  if (response.status !== 200) return { status: response.status, headers: response.headers, text: body, isError: true };
  const result = body
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { result?: { isError?: boolean; content: { text: string }[] } })
    .find((m) => m.result)?.result;
  return { status: 200, headers: response.headers, text: result?.content[0]?.text ?? "", isError: result?.isError === true };
}
