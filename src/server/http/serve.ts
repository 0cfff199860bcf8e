/**
 * Listening and stopping. On SIGTERM or SIGINT the server stops accepting,
 * lets paid calls in flight settle (their connections stay open until they
 * answer), then closes the ledger. Task runs still going when that wait is
 * over are stopped (each is charged what it cost, and its task says the
 * server shut down): nobody else could deliver their results.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Logger } from "../../log.js";
import type { Metering } from "../../metering/meter.js";
import { stopTaskRuns } from "../shutdown.js";
import type { Tasks } from "../../tasks/tasks.js";

export interface HttpServeOptions {
  app: Express;
  host: string;
  port: number;
  metering: Metering;
  /** The server's task runs, stopped if still going once the drain is over. */
  tasks?: Tasks | undefined;
  logger: Logger;
  /** Closes what the server holds (the ledger), after the last call settled. */
  close: () => Promise<void>;
  drainTimeoutMs?: number;
}

export interface RunningHttpServer {
  url: string;
  /** Resolves once the server has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

export async function serveHttp(options: HttpServeOptions): Promise<RunningHttpServer> {
  const server: Server = options.app.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));

  const stop = (reason: string) =>
    (stopping ??= (async () => {
      options.logger.info("HTTP server stopping", { reason });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const left = await stopTaskRuns(options, await options.metering.drain(options.drainTimeoutMs ?? 30_000));
      if (left > 0) options.logger.warn("paid calls still running at shutdown; reconcile will settle them", { left });
      // Settled calls still have to write their answers: let connections finish, closing each as it goes idle.
      let done = false;
      void closed.then(() => (done = true));
      for (const deadline = Date.now() + 5_000; !done && Date.now() < deadline;) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      server.closeAllConnections();
      await closed;
      await options.close();
      markStopped();
    })());

  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  return { url: `http://${host}:${port}`, stopped, stop };
}
