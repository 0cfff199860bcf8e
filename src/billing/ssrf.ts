/**
 * Where an outgoing webhook may go. A URL an organisation gives could point
 * at our own network (a metadata service at 169.254.169.254, a database on a
 * private address, the server itself on loopback): https only, and every
 * address the name resolves to must be public, checked after DNS resolution
 * and again at every redirect; the connection then goes to the address that
 * was checked (pinned), so a second lookup cannot swap it. With
 * ECN_WEBHOOK_ALLOW_LOOPBACK=1, http and https to loopback are allowed too
 * (a self-hoster's own receiver, tests); private and link-local never are.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

export class UnsafeWebhookUrl extends Error {
  override readonly name = "UnsafeWebhookUrl";
}

const forbidden = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  forbidden.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["64:ff9b::", 96], // NAT64 (reaches IPv4 space)
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const)
  forbidden.addSubnet(net, prefix, "ipv6");

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is. */
function normalise(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: "ipv4" };
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

export function isLoopback(address: string): boolean {
  const a = normalise(address);
  return loopback.check(a.address, a.family);
}

/** Why an address may not receive webhooks, or null when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | null {
  const a = normalise(address);
  if (loopback.check(a.address, a.family)) return allowLoopback ? null : `${address} is a loopback address`;
  if (forbidden.check(a.address, a.family)) return `${address} is a private, link-local or reserved address`;
  return null;
}

/** Checks a URL's form (before any lookup): https, or http to loopback when allowed; no credentials. */
export function checkUrlForm(text: string, allowLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeWebhookUrl(`not a URL: ${text}`);
  }
  if (url.username || url.password) throw new UnsafeWebhookUrl("a webhook URL may not carry a user name or password");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host) ? host : null;
  const loopbackName = host === "localhost" || (literal !== null && isLoopback(literal));
  if (url.protocol === "http:" && !(allowLoopback && loopbackName)) {
    throw new UnsafeWebhookUrl(allowLoopback ? "http is allowed to loopback only; use https" : "webhook URLs must use https");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UnsafeWebhookUrl("webhook URLs must use https");
  if (literal) {
    const problem = addressProblem(literal, allowLoopback);
    if (problem) throw new UnsafeWebhookUrl(`refused: ${problem}`);
  }
  return url;
}

/** Resolves the URL's host and checks every address; the address to connect to (pinned). */
export async function resolveSafely(url: URL, allowLoopback: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const found = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host, { all: true, verbatim: true });
  if (found.length === 0) throw new UnsafeWebhookUrl(`${host} does not resolve`);
  for (const entry of found) {
    const problem = addressProblem(entry.address, allowLoopback);
    // One bad address is enough to refuse: a name that resolves partly inside is a rebinding attempt or a mistake.
    if (problem) throw new UnsafeWebhookUrl(`refused: ${host} resolves to ${problem}`);
  }
  return { address: found[0]!.address, family: found[0]!.family as 4 | 6 };
}
