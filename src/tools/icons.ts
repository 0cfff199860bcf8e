/**
 * Icons for the server and its tools, as MCP clients and connector
 * directories show them: small SVGs inlined as data: URIs, so a client
 * needs no request to this server (or anyone else) to draw them.
 */
import type { Icon } from "@modelcontextprotocol/sdk/types.js";

/** A 24x24 stroked icon in the dashboard's accent colour. */
function svg(paths: string): Icon {
  const body =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#2563eb" stroke-width="2" ` +
    `stroke-linecap="round" stroke-linejoin="round">${paths}</svg>`;
  return { src: `data:image/svg+xml;base64,${Buffer.from(body).toString("base64")}`, mimeType: "image/svg+xml", sizes: ["any"] };
}

export const ICONS = {
  /** The server: a coin with a meter needle (metered tools). */
  server: svg('<circle cx="12" cy="12" r="9"/><path d="M12 12l4-4"/><path d="M7 16h10"/>'),
  wallet: svg('<rect x="3" y="6" width="18" height="13" rx="2"/><path d="M3 10h18"/><circle cx="16" cy="14.5" r="1"/>'),
  rateCard: svg('<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M8 8h8M8 12h8M8 16h5"/>'),
  usage: svg('<path d="M4 20V10M10 20V4M16 20v-7M22 20H2"/>'),
  /** Drafting with a language model (the paid LLM tools). */
  draft: svg('<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13 7l4 4"/>'),
  /** Lead signals from an Apify actor run. */
  signal: svg('<circle cx="11" cy="11" r="6"/><path d="M20 20l-4.5-4.5"/><path d="M11 8v6M8 11h6"/>'),
  /** Building permits from public open data. */
  permits: svg('<path d="M4 21V8l8-5 8 5v13"/><path d="M9 21v-6h6v6"/><path d="M2 21h20"/>'),
  /** Buying credits: a payment card. */
  buy: svg('<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20"/><path d="M6 15h4"/>'),
} satisfies Record<string, Icon>;
