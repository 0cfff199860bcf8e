/**
 * The page where a person pays a Checkout Session on the simulator (Stripe's
 * own is at checkout.stripe.com/c/pay/cs_…): a card number field (Stripe's
 * test numbers decline as Stripe's do), a "pay by bank" option that settles
 * later, and a link back to the cancel URL. A plain HTML form, so a browser
 * or a test's POST can submit it.
 */
import type { StripeObject } from "./stripe-state.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function payPage(session: StripeObject, error?: string): string {
  const amount = `$${((session.amount_total as number) / 100).toFixed(2)}`;
  const items = (session.line_items_display as string | undefined) ?? "";
  const done = session.status !== "open";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay ${escape(amount)} — Stripe simulator</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}
input,button{font:inherit;padding:.6rem;box-sizing:border-box}button{background:#635bff;color:#fff;border:0;border-radius:6px;cursor:pointer}
.error{color:#b00020}.sim{color:#666;font-size:.85rem}</style></head>
<body>
<p class="sim">Stripe SIMULATOR (test mode): no real card is charged.</p>
<h1 data-test="amount">Pay ${escape(amount)}</h1>
<p data-test="items">${escape(items)}</p>
${error ? `<p class="error" data-test="error" role="alert">${escape(error)}</p>` : ""}
${
  done
    ? `<p data-test="done">This session is ${escape(String(session.status))}.</p>`
    : `<form method="post" data-test="pay-form">
<label>Card number <input name="card" data-test="card" inputmode="numeric" autocomplete="cc-number" value="4242 4242 4242 4242"></label>
<label>Expiry <input name="exp" value="12 / 34"></label>
<label>CVC <input name="cvc" value="123"></label>
<button type="submit" name="method" value="card" data-test="pay">Pay ${escape(amount)}</button>
<button type="submit" name="method" value="bank" data-test="pay-bank">Pay by bank debit (settles later)</button>
</form>`
}
<p><a href="${escape(typeof session.cancel_url === "string" ? session.cancel_url : "/")}" data-test="cancel">Cancel and go back</a></p>
</body></html>`;
}
