/**
 * The dashboard page: sign-in, a hash router over four views, the period
 * picker. Everything it shows comes from /api/v1/dashboard/, which checks
 * on the server who may see what; the page only hides links a viewer has
 * no use for.
 */
import {
  load,
  revokeConnection,
  signIn,
  signOut,
  SignedOut,
  type BillingView,
  type ConnectionsPage,
  type HealthPage,
  type MarginsPage,
  type OrgDetail,
  type OrgSummary,
  type Viewer,
} from "./api.js";
import { billingSection } from "./billing.js";
import { connectionsView } from "./connections.js";
import { destroyCharts } from "./charts.js";
import { h } from "./format.js";
import { healthView, marginsView, organisationsView, organisationView, type View } from "./views.js";

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const controls = document.getElementById("controls")!;
let viewer: Viewer | null = null;
let period = { name: "7d", from: "", to: "" };

function periodQuery(): string {
  const q = new URLSearchParams({ period: period.name });
  if (period.name === "custom") {
    q.set("from", period.from);
    q.set("to", period.to);
  }
  return q.toString();
}

function show(view: View): void {
  destroyCharts();
  main.replaceChildren(view.el);
  view.after?.();
}

function fail(error: unknown): void {
  if (error instanceof SignedOut) return signInView();
  destroyCharts();
  main.replaceChildren(h("p", { class: "alert", "data-test": "error" }, error instanceof Error ? error.message : String(error)));
}

async function route(): Promise<void> {
  if (!viewer) return signInView();
  const [page, id, sub] = location.hash.replace(/^#\/?/, "").split("/");
  main.setAttribute("aria-busy", "true");
  try {
    if (page === "org" && id && sub === "connections") show(connectionsView(await load<ConnectionsPage>(`orgs/${id}/connections`), revoke));
    else if (page === "org" && id) {
      const [detail, billing] = await Promise.all([load<OrgDetail>(`orgs/${id}?${periodQuery()}`), load<BillingView>(`orgs/${id}/billing`)]);
      const view = organisationView(detail, viewer.kind === "operator");
      view.el.insertBefore(billingSection(billing, detail.summary.id, viewer.kind === "operator"), view.el.children[2] ?? null);
      show(view);
      awaitCredits(detail.summary.balance.credits);
    } else if (page === "margins") show(marginsView(await load<MarginsPage>(`margins?${periodQuery()}`)));
    else if (page === "health") show(healthView(await load<HealthPage>("health")));
    else if (viewer.kind === "tenant") location.hash = `#/org/${encodeURIComponent(viewer.org.id)}`;
    else show(organisationsView((await load<{ orgs: OrgSummary[] }>("orgs")).orgs));
  } catch (error) {
    fail(error);
  } finally {
    main.setAttribute("aria-busy", "false");
  }
}

/** Revokes after the person confirms, then shows the page again. */
function revoke(connection: { id: string; client_name: string }): void {
  if (!window.confirm(`Revoke ${connection.client_name}? It stops working at its next request; connecting it again needs a new consent.`)) return;
  void revokeConnection(connection.id).then(route, fail);
}

/** Back from Stripe Checkout: the credits arrive with Stripe's webhook, a moment later; look again until they show (at most a minute). */
let waitingSince: { balance: number; at: number } | null = null;
function awaitCredits(balance: number): void {
  if (new URLSearchParams(location.search).get("checkout") !== "success") return;
  waitingSince ??= { balance, at: Date.now() };
  if (balance !== waitingSince.balance || Date.now() - waitingSince.at > 60_000) return;
  setTimeout(() => void route(), 1_500);
}

function chrome(): void {
  if (!viewer) {
    nav.replaceChildren();
    controls.replaceChildren();
    return;
  }
  const links: [string, string][] =
    viewer.kind === "operator"
      ? [
          ["#/orgs", "Organisations"],
          ["#/margins", "Margins"],
          ["#/health", "Ledger health"],
        ]
      : [
          [`#/org/${encodeURIComponent(viewer.org.id)}`, viewer.org.name],
          [`#/org/${encodeURIComponent(viewer.org.id)}/connections`, "Connections"],
        ];
  nav.replaceChildren(...links.map(([href, text]) => h("a", { href }, text)));

  const select = h(
    "select",
    { "data-test": "period", "aria-label": "Period" },
    ...[
      ["today", "Today"],
      ["7d", "7 days"],
      ["30d", "30 days"],
      ["custom", "Custom"],
    ].map(([value, text]) => h("option", { value: value!, selected: value === period.name }, text)),
  ) as HTMLSelectElement;
  const from = h("input", {
    type: "date",
    "aria-label": "From",
    "data-test": "from",
    value: period.from,
    hidden: period.name !== "custom",
  }) as HTMLInputElement;
  const to = h("input", { type: "date", "aria-label": "To", "data-test": "to", value: period.to, hidden: period.name !== "custom" }) as HTMLInputElement;
  const apply = () => {
    period = { name: select.value, from: from.value, to: to.value };
    from.hidden = to.hidden = period.name !== "custom";
    if (period.name !== "custom" || (period.from && period.to)) void route();
  };
  select.addEventListener("change", apply);
  from.addEventListener("change", apply);
  to.addEventListener("change", apply);
  const who = h("span", { class: "who", "data-test": "who" }, viewer.kind === "operator" ? "operator" : viewer.org.name);
  const out = h("button", { type: "button", "data-test": "sign-out" }, "Sign out");
  out.addEventListener("click", () => void signOutAndShow());
  async function signOutAndShow(): Promise<void> {
    await signOut();
    viewer = null;
    location.hash = "";
    signInView();
  }
  controls.replaceChildren(select, from, to, who, out);
}

function signInView(message?: string): void {
  viewer = null;
  chrome();
  destroyCharts();
  const input = h("input", {
    type: "password",
    name: "key",
    autocomplete: "off",
    required: true,
    placeholder: "ecn_sk_… or the operator token",
    "data-test": "key",
  }) as HTMLInputElement;
  const error = h("p", { class: "alert", "data-test": "sign-in-error", hidden: !message }, message ?? "");
  const form = h(
    "form",
    { class: "card sign-in", "data-test": "sign-in" },
    h("h2", {}, "Sign in"),
    h(
      "p",
      { class: "muted" },
      "Paste your organisation's API key to see its usage, or the operator token (ECN_ADMIN_TOKEN) to see every organisation. The key is sent once; the browser keeps only a session cookie.",
    ),
    h("label", {}, "Key", input),
    h("button", { type: "submit" }, "Sign in"),
    error,
  ) as HTMLFormElement;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit();
  });
  async function submit(): Promise<void> {
    try {
      viewer = await signIn(input.value);
      input.value = "";
      chrome();
      await route();
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
      error.hidden = false;
    }
  }
  main.replaceChildren(form);
  input.focus();
}

window.addEventListener("hashchange", () => void route());
void (async () => {
  try {
    viewer = (await load<{ viewer: Viewer }>("me")).viewer;
    chrome();
    await route();
  } catch (error) {
    if (error instanceof SignedOut) signInView();
    else fail(error);
  }
})();
