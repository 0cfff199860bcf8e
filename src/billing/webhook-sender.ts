/**
 * One delivery of an event to an endpoint, signed as the Standard Webhooks
 * specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
 * with the `standardwebhooks` package): the same id on every attempt, the
 * signature over "{id}.{timestamp}.{body}" with the endpoint's secret. The
 * connection goes to the address that was checked (see ssrf.ts); a redirect
 * is followed only when it keeps the method and body (307, 308), at most
 * three times, each hop checked like the first.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { checkUrlForm, resolveSafely, UnsafeWebhookUrl } from "./ssrf.js";

export interface SendResult {
  /** The endpoint's HTTP status, or null when no answer came. */
  status: number | null;
  ok: boolean;
  error: string | null;
}

const MAX_REDIRECTS = 3;

/** Signs and posts `payload` to `url`. Never throws: the outcome says what happened. */
export async function sendWebhook(
  target: { url: string; secret: string; eventId: string; payload: string },
  options: { allowLoopback: boolean; timeoutMs: number; now?: () => number },
): Promise<SendResult> {
  const signer = new Webhook(target.secret);
  let url: URL;
  try {
    url = checkUrlForm(target.url, options.allowLoopback);
  } catch (error) {
    return { status: null, ok: false, error: (error as Error).message };
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    try {
      const pinned = await resolveSafely(url, options.allowLoopback);
      const at = new Date(options.now?.() ?? Date.now());
      const headers = {
        "content-type": "application/json",
        "user-agent": "ecn-mcp-webhooks/1",
        "webhook-id": target.eventId,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signer.sign(target.eventId, at, target.payload),
      };
      const response = await post(url, pinned, headers, target.payload, options.timeoutMs);
      if ((response.status === 307 || response.status === 308) && response.location) {
        url = checkUrlForm(new URL(response.location, url).toString(), options.allowLoopback);
        continue;
      }
      const ok = response.status >= 200 && response.status < 300;
      return { status: response.status, ok, error: ok ? null : `the endpoint answered HTTP ${response.status}` };
    } catch (error) {
      const message = error instanceof UnsafeWebhookUrl ? error.message : `could not deliver: ${(error as Error).message}`;
      return { status: null, ok: false, error: message };
    }
  }
  return { status: null, ok: false, error: `more than ${MAX_REDIRECTS} redirects` };
}

function post(
  url: URL,
  pinned: { address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; location?: string }> {
  // The checked address, whatever a second lookup would say now (DNS rebinding).
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup, timeout: timeoutMs, agent: false },
      (res: IncomingMessage) => {
        res.resume(); // the answer's body is not needed; reading it frees the socket
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ...(typeof res.headers.location === "string" ? { location: res.headers.location } : {}) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}
