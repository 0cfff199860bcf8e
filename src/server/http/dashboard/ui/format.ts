import type { Amount } from "../../../../reports/views.js";

/** Building the page safely (text nodes, never HTML strings) and writing amounts the same way everywhere. */

export type Child = Node | string | number | null | undefined | false;

/** An element with attributes and children; strings become text nodes, so data can never inject markup. */
export function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const creditsFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const usdFormat = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });

export const credits = (n: number) => `${creditsFormat.format(n)} cr`;
export const usd = (n: number) => usdFormat.format(n);
/** "12.5 cr · $0.13": credits first (what the wallet counts), their USD value beside. */
export const both = (a: Amount) => `${credits(a.credits)} · ${usd(a.usd)}`;
export const pct = (n: number | null) => (n === null ? "–" : `${n}%`);
export const when = (iso: string) => iso.replace("T", " ").slice(0, 19);

/** A titled card holding one figure. */
export function figure(label: string, value: string, test: string, note?: string): HTMLElement {
  return h(
    "div",
    { class: "figure" },
    h("div", { class: "label" }, label),
    h("div", { class: "value", "data-test": test }, value),
    note ? h("div", { class: "note" }, note) : null,
  );
}

/** A table from a header row and body rows. */
export function table(test: string, head: string[], rows: Child[][]): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { "data-test": test },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          head.map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((r) =>
              h(
                "tr",
                {},
                r.map((c) => h("td", {}, c)),
              ),
            )
          : h("tr", {}, h("td", { colspan: String(head.length), class: "empty" }, "nothing in this period")),
      ),
    ),
  );
}
