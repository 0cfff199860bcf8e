/**
 * What the server says about itself in its answer to `initialize`: its
 * name, title, version and icon, its capabilities and its instructions.
 *
 * Light on purpose (no MCP SDK at run time): the stdio server answers
 * `initialize` from here before the SDK has loaded (./stdio-prelude.ts), and
 * createServer builds the SDK's Server from the same values, so the early
 * answer and the SDK's are the same by construction.
 */
import type { Implementation, ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { ICONS } from "../tools/icons.js";
import { SERVER_NAME, SERVER_VERSION } from "./version.js";

export const SERVER_INFO: Implementation = {
  name: SERVER_NAME,
  title: "ecn-mcp: metered lead-generation tools",
  version: SERVER_VERSION,
  icons: [ICONS.server],
};

export const INSTRUCTIONS =
  "ecn-mcp tools cost credits: each paid call is charged the provider's real cost x markup. " +
  "Check get_rate_card for prices and get_wallet_balance before long runs. " +
  "Pass idempotency_key when you may retry a paid call, so a retry is never charged twice.";

/** Tasks for tools/call, with tasks/list and tasks/cancel. */
export const TASK_CAPABILITIES: NonNullable<ServerCapabilities["tasks"]> = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

/** The capabilities declared: tools and logging always, tasks when the server runs them. */
export function serverCapabilities(tasks: boolean): ServerCapabilities {
  return { tools: {}, logging: {}, ...(tasks ? { tasks: TASK_CAPABILITIES } : {}) };
}

/**
 * The protocol versions the MCP SDK answers `initialize` with: the one the
 * client asked for when it is among these, else the first (the latest).
 * A copy of the SDK's own list (SUPPORTED_PROTOCOL_VERSIONS), which loads
 * with its whole schema module; a contract test keeps the two equal.
 */
export const PROTOCOL_VERSIONS: readonly string[] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"];

/** The protocol version the server answers a client asking for `requested`, as the SDK chooses it. */
export function negotiatedVersion(requested: string): string {
  return PROTOCOL_VERSIONS.includes(requested) ? requested : PROTOCOL_VERSIONS[0]!;
}
