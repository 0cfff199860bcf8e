/**
 * The organisation page's credits section: "Buy credits" (a pack, then
 * Stripe Checkout; the person comes back here), auto-recharge, recent alerts
 * and webhook deliveries that failed. Everything comes from
 * /api/v1/dashboard/orgs/ID/billing; buying goes through the same
 * POST /api/v1/credits/checkout scripts use.
 */
import { buy, type BillingView } from "./api.js";
import { credits, h, table, usd, when } from "./format.js";

function describe(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([k]) => k !== "org_id")
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v)}`)
    .join(" · ");
}

function buySection(b: BillingView, orgId: string, operator: boolean): HTMLElement {
  if (!b.payments_configured)
    return h("p", { class: "muted", "data-test": "payments-off" }, "Payments are not configured on this server (ECN_STRIPE_SECRET_KEY).");
  if (!b.packs.length) return h("p", { class: "muted", "data-test": "no-packs" }, "No credit packs are for sale yet (ecn-mcp packs set).");
  const select = h(
    "select",
    { "data-test": "pack", "aria-label": "Credit pack" },
    b.packs.map((p) => h("option", { value: p.name }, `${p.name}: ${credits(p.credits)} for ${usd(p.usd)}`)),
  ) as HTMLSelectElement;
  const error = h("p", { class: "alert", "data-test": "buy-error", hidden: true });
  const button = h("button", { type: "button", "data-test": "buy" }, "Buy credits") as HTMLButtonElement;
  button.addEventListener("click", () => {
    button.disabled = true;
    buy(select.value, operator ? orgId : undefined).then(
      (url) => location.assign(url),
      (e: unknown) => {
        button.disabled = false;
        error.textContent = e instanceof Error ? e.message : String(e);
        error.hidden = false;
      },
    );
  });
  return h("div", { class: "buy" }, select, button, error);
}

export function billingSection(b: BillingView, orgId: string, operator: boolean): HTMLElement {
  const returned = new URLSearchParams(location.search).get("checkout");
  const r = b.recharge;
  return h(
    "section",
    { class: "card", "data-test": "billing" },
    h("h3", {}, "Credits"),
    returned === "success"
      ? h("p", { class: "notice", "data-test": "checkout-returned" }, "Payment received: the credits appear here as soon as Stripe confirms it.")
      : returned === "cancelled"
        ? h("p", { class: "muted", "data-test": "checkout-cancelled" }, "Checkout cancelled: nothing was charged.")
        : null,
    buySection(b, orgId, operator),
    h(
      "p",
      { "data-test": "recharge" },
      r
        ? r.enabled
          ? `Auto-recharge: below ${credits(r.below_credits)}, buy up to ${credits(r.to_credits)} (at most ${usd(r.max_month_usd)} a month).`
          : `Auto-recharge is off${r.disabled_reason ? `: ${r.disabled_reason}` : ""}.`
        : "Auto-recharge is not set up (ecn-mcp recharge set).",
    ),
    h("h4", {}, "Alerts"),
    table(
      "alerts",
      ["When", "Alert", "Details"],
      b.alerts.map((a) => [when(a.at), a.type, describe(a.data)]),
    ),
    b.deliveries.failed.length || b.deliveries.retrying
      ? h(
          "div",
          {},
          h("h4", {}, "Webhook deliveries"),
          h("p", { class: "muted" }, `${b.deliveries.retrying} still being retried; these failed for 24 hours and were given up:`),
          table(
            "failed-deliveries",
            ["Given up", "Event", "Endpoint", "Attempts", "Last error"],
            b.deliveries.failed.map((d) => [when(d.at), d.type, d.endpoint_id, d.attempts, d.last_error ?? ""]),
          ),
        )
      : null,
  );
}
