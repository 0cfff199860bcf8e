/**
 * The stdio transport: what Claude Desktop and other local MCP clients
 * launch. stdout carries only protocol messages; everything else goes to
 * stderr. When the client goes away (stdin ends) or a signal arrives, paid
 * calls in flight are given time to settle before the ledger closes. A
 * client that goes away leaves its task runs to finish first (it asked for
 * them to outlive it; a later session reads their results from the ledger);
 * a signal stops them at once, each charged what it cost.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Logger } from "../log.js";
import type { Metering } from "../metering/meter.js";
import type { Tasks } from "../tasks/tasks.js";
import { SHUTDOWN, stopTaskRuns } from "./shutdown.js";

export interface StdioOptions {
  server: Server;
  metering: Metering;
  tasks?: Tasks | undefined;
  /** How long task runs may go on after the client went away. */
  taskGraceMs?: number;
  logger: Logger;
  /** Closes what the server holds (the ledger). */
  close: () => Promise<void>;
  drainTimeoutMs?: number;
}

/** Serves MCP over this process's stdin/stdout until the client disconnects or a signal arrives. */
export async function serveStdio(options: StdioOptions): Promise<void> {
  const transport = new StdioServerTransport();
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, clientGone = false) =>
    (stopping ??= (async () => {
      options.logger.info("stdio server stopping", { reason });
      const { tasks } = options;
      if (clientGone && tasks && tasks.runningCount > 0) {
        options.logger.info("the client went away: letting its task runs finish first", { tasks: tasks.runningCount });
        await tasks.settled(options.taskGraceMs ?? 0);
      }
      const left = await stopTaskRuns(options, await options.metering.drain(options.drainTimeoutMs ?? 30_000));
      if (left > 0) options.logger.warn("paid calls still running at shutdown; reconcile will settle them", { left });
      await options.server.close().catch(() => undefined);
      await options.close();
    })());
  await options.server.connect(transport);
  options.logger.info("stdio server ready");
  await new Promise<void>((resolve) => {
    const finish = (reason: string, clientGone = false) => void stop(reason, clientGone).then(resolve);
    // A signal means the host wants this process gone soon (clients send SIGKILL a few seconds later): task runs
    // are stopped at once, so each still settles at what it cost, even while their client-gone wait is going.
    const signalled = (reason: string) => {
      if (options.tasks?.stopAll(SHUTDOWN)) options.logger.warn("task runs stopped by a signal, each charged what it cost", { reason });
      finish(reason);
    };
    process.stdin.once("end", () => finish("stdin closed", true));
    process.once("SIGTERM", () => signalled("SIGTERM"));
    process.once("SIGINT", () => signalled("SIGINT"));
  });
}
