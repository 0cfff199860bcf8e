/**
 * The pages a person sees while connecting an app: sign in (prove an
 * organisation), consent (scopes and a daily credit cap), and errors. Plain
 * server-rendered HTML in the dashboard's look (its stylesheet, nothing from
 * anyone else), no script, so the strict CSP costs nothing. Every form
 * carries the interaction's CSRF token.
 */

import { ICONS } from "../tools/icons.js";

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Text as HTML: every character that could start markup or end an attribute is escaped. */
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => escapes[c]!);

function layout(prefix: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(title)} · ecn-mcp</title>
<link rel="icon" href="${ICONS.server.src}">
<link rel="stylesheet" href="${esc(prefix)}/dashboard/dashboard.css">
</head>
<body>
<header><h1>ecn-mcp <small>connect an app</small></h1></header>
<main>${body}</main>
</body>
</html>`;
}

/** The client as the page names it: its registered (or metadata document's) name, and where it sends the person back. */
export interface ClientView {
  name: string;
  /** The client's own site, when it gave one (client_uri). */
  site: string | null;
  /** The host (or app scheme) the person returns to after approving. */
  returnsTo: string;
  /** A metadata document's URL (the client's id), when it is one. */
  metadataUrl: string | null;
}

interface FormBase {
  prefix: string;
  uid: string;
  csrf: string;
  client: ClientView;
  error?: string | undefined;
}

const hidden = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
const action = (f: FormBase, step: string) => `${esc(f.prefix)}/oauth/interaction/${esc(f.uid)}/${step}`;
const alert = (error: string | undefined) => (error ? `<p class="alert" data-test="error" role="alert">${esc(error)}</p>` : "");

function clientLine(client: ClientView): string {
  const site = client.site ? ` (<span data-test="client-site">${esc(client.site)}</span>)` : "";
  return `<p><strong data-test="client-name">${esc(client.name)}</strong>${site} wants to use ecn-mcp tools for your organisation.
After you decide, you go back to <strong data-test="returns-to">${esc(client.returnsTo)}</strong>.</p>`;
}

function cancelForm(f: FormBase): string {
  return `<form method="post" action="${action(f, "cancel")}">${hidden(f.csrf)}<button type="submit" class="secondary" data-test="cancel">Cancel</button></form>`;
}

/** Step one: prove an organisation (an API key, the dashboard session of this browser, or the organisation's identity provider). */
export function signInPage(f: FormBase & { upstream: boolean }): string {
  const upstream = f.upstream
    ? `<section class="card"><h3>Your organisation's sign-in</h3>
<p class="muted">Sign in with your company account; you must be a member of the organisation.</p>
<a class="button" data-test="upstream" href="${action(f, "upstream")}">Sign in with your identity provider</a></section>`
    : "";
  return layout(
    f.prefix,
    "Sign in",
    `<div class="connect">
<h2>Connect ${esc(f.client.name)}</h2>
${clientLine(f.client)}
${alert(f.error)}
<form class="card" method="post" action="${action(f, "key")}" data-test="key-form">
<h3>Paste an API key of your organisation</h3>
<p class="muted">The key proves which organisation you connect; it is not given to the app and not kept by this page.</p>
${hidden(f.csrf)}
<label>API key <input type="password" name="key" autocomplete="off" required placeholder="ecn_sk_…" data-test="key"></label>
<button type="submit" data-test="key-submit">Continue</button>
</form>
<form class="card" method="post" action="${action(f, "dashboard")}" data-test="dashboard-form">
<h3>Signed in to the dashboard in this browser?</h3>
${hidden(f.csrf)}
<button type="submit" class="secondary" data-test="dashboard-submit">Use my dashboard session</button>
</form>
${upstream}
${cancelForm(f)}
</div>`,
  );
}

export interface ConsentView extends FormBase {
  /** Organisations the person proved; more than one only through the identity provider. */
  orgs: { id: string; name: string }[];
  /** How the organisation was proven, for the page (e.g. "API key ecn_sk_ab12…", "dana@example.com"). */
  provenAs: string;
  /** The client asked for paid tools too. */
  paidRequested: boolean;
  /** The default and largest daily cap, in credits (decimal text). */
  capCredits: string;
  creditUsdValue: string;
}

/** Step two: what the app may do and how much it may spend per day. */
export function consentPage(v: ConsentView): string {
  const org =
    v.orgs.length === 1
      ? `<p>Organisation: <strong data-test="org-name">${esc(v.orgs[0]!.name)}</strong></p><input type="hidden" name="org" value="${esc(v.orgs[0]!.id)}">`
      : `<label>Organisation <select name="org" data-test="org" required>${v.orgs.map((o) => `<option value="${esc(o.id)}">${esc(o.name)}</option>`).join("")}</select></label>`;
  const paid = v.paidRequested
    ? `<li><label class="check"><input type="checkbox" name="paid" value="1" checked data-test="paid"> <span><strong>Paid tools</strong>: drafting with language models and lead signals; each call is charged to the organisation's credits</span></label></li>`
    : "";
  return layout(
    v.prefix,
    "Allow access",
    `<div class="connect">
<h2>Allow ${esc(v.client.name)}?</h2>
${clientLine(v.client)}
${alert(v.error)}
<form class="card" method="post" action="${action(v, "consent")}" data-test="consent-form">
${hidden(v.csrf)}
${org}
<p class="muted">Proven with ${esc(v.provenAs)}.</p>
<h3>It may use</h3>
<ul class="scopes">
<li><strong>Free tools</strong>: wallet balance, rate card, usage, building permits</li>
${paid}
</ul>
<label>Daily credit cap for this app <input name="cap" inputmode="decimal" required value="${esc(v.capCredits)}" data-test="cap"></label>
<p class="muted">At most ${esc(v.capCredits)} credits (1 credit = $${esc(v.creditUsdValue)}) per UTC day, however many calls it runs at once.
You may lower it. Revoke the app at any time from the dashboard's Connections page.</p>
<button type="submit" data-test="allow">Allow</button>
</form>
${cancelForm(v)}
</div>`,
  );
}

export function errorPage(prefix: string, code: string, message: string): string {
  return layout(
    prefix,
    "Cannot connect",
    `<div class="connect"><h2>Cannot connect</h2><p class="alert" data-test="error" role="alert">${esc(message)}</p><p class="muted">${esc(code)}</p></div>`,
  );
}
