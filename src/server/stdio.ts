/**
 * The stdio transport: what Claude Desktop and other local MCP clients
 * launch. stdout carries only protocol messages; everything else goes to
 * stderr. When the client goes away (stdin ends) or a signal arrives, paid
 * calls in flight are given time to settle before the ledger closes.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Logger } from "../log.js";
import type { Metering } from "../metering/meter.js";

export interface StdioOptions {
  server: Server;
  metering: Metering;
  logger: Logger;
  /** Closes what the server holds (the ledger). */
  close: () => Promise<void>;
  drainTimeoutMs?: number;
  /** Called once the transport is connected: the client's requests are being read. */
  onConnected?: () => void;
}

/** Serves MCP over this process's stdin/stdout until the client disconnects or a signal arrives. */
export async function serveStdio(options: StdioOptions): Promise<void> {
  const transport = new StdioServerTransport();
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      options.logger.info("stdio server stopping", { reason });
      const left = await options.metering.drain(options.drainTimeoutMs ?? 30_000);
      if (left > 0) options.logger.warn("paid calls still running at shutdown; reconcile will settle them", { left });
      await options.server.close().catch(() => undefined);
      await options.close();
    })());
  await options.server.connect(transport);
  options.logger.info("stdio server ready");
  options.onConnected?.();
  await new Promise<void>((resolve) => {
    const finish = (reason: string) => void stop(reason).then(resolve);
    process.stdin.once("end", () => finish("stdin closed"));
    process.once("SIGTERM", () => finish("SIGTERM"));
    process.once("SIGINT", () => finish("SIGINT"));
  });
}
