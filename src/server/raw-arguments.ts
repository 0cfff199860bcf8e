/**
 * The arguments of each `tools/call` exactly as the client sent them.
 *
 * The SDK re-parses a call's arguments into a fresh record, and assigning
 * the key "__proto__" to a plain object sets its prototype instead of adding
 * a property: that argument (and whatever it held) would vanish before our
 * schema sees it, so a call carrying it would be accepted. Kept as the JSON
 * parser made it, the arguments meet our strict schemas whole, and
 * "__proto__" is refused like any other unknown argument.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isJSONRPCRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/** Requests whose handler never ran (refused by the SDK first) are forgotten beyond this many. */
const MAX_KEPT = 1_000;

export class RawArguments {
  private readonly byId = new Map<RequestId, unknown>();

  /** Sees every message before the SDK does (the SDK calls a transport's earlier `onmessage` first). */
  watch(transport: Transport): void {
    const earlier = transport.onmessage;
    transport.onmessage = (message, extra) => {
      earlier?.(message, extra);
      if (!isJSONRPCRequest(message) || message.method !== "tools/call") return;
      const args = (message.params as { arguments?: unknown } | undefined)?.arguments;
      if (args === undefined) return;
      if (this.byId.size >= MAX_KEPT) this.byId.delete(this.byId.keys().next().value!);
      this.byId.set(message.id, args);
    };
  }

  /** The arguments of request `id` as sent (once), or undefined when none were kept. */
  take(id: RequestId): unknown {
    const args = this.byId.get(id);
    this.byId.delete(id);
    return args;
  }
}
