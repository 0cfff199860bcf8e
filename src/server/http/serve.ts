/**
 * Listening and stopping. On SIGTERM or SIGINT the server stops accepting,
 * lets paid calls in flight settle (their connections stay open until they
 * answer), then closes the ledger. Task runs still going when that wait is
 * over are stopped (each is charged what it cost, and its task says the
 * server shut down): nobody else could deliver their results.
 *
 * Keep-alive: a connection the server closes while a client is sending its
 * next request on it fails that request (`socket hang up`, ECONNRESET). The
 * side that closes an idle connection must be the client or the load
 * balancer, never this server, so the server keeps idle connections longer
 * than they do: 65 s by default, above the 60 s idle timeout of the common
 * load balancers and proxies (and above what Node's own clients keep, which
 * follow the `Keep-Alive: timeout=` hint the server sends). The headers
 * timeout is above it: a client reusing a connection near the end of its
 * idle time must still get the time to send its headers.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../log.js";
import type { Metering } from "../../metering/meter.js";
import { stopTaskRuns } from "../shutdown.js";
import type { Tasks } from "../../tasks/tasks.js";

/** The default idle time of a keep-alive connection (ECN_HTTP_KEEP_ALIVE_MS). */
export const KEEP_ALIVE_MS = 65_000;
/** Time to receive a whole request (headers and body) from a client; Node's own default. */
const REQUEST_TIMEOUT_MS = 300_000;

export interface HttpServeOptions {
  /** What answers requests: an Express app, or the HTTP app's own listener (app.ts). */
  app: RequestListener;
  host: string;
  port: number;
  metering: Metering;
  /** The server's task runs, stopped if still going once the drain is over. */
  tasks?: Tasks | undefined;
  logger: Logger;
  /** Closes what the server holds (the ledger), after the last call settled. */
  close: () => Promise<void>;
  drainTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open (default 65 s). */
  keepAliveMs?: number;
}

export interface RunningHttpServer {
  url: string;
  /** The listening server (its timeouts are what clients see). */
  server: Server;
  /** Resolves once the server has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

/** The server's timeouts for a given keep-alive time: headers and whole-request timeouts above it. */
export function httpTimeouts(keepAliveMs: number): { keepAliveTimeout: number; headersTimeout: number; requestTimeout: number } {
  const headersTimeout = keepAliveMs + 1_000;
  return { keepAliveTimeout: keepAliveMs, headersTimeout, requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout) };
}

export async function serveHttp(options: HttpServeOptions): Promise<RunningHttpServer> {
  const server: Server = createServer(options.app);
  Object.assign(server, httpTimeouts(options.keepAliveMs ?? KEEP_ALIVE_MS));
  server.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  // While stopping, every answer tells its client not to send another request on the connection.
  server.prependListener("request", (_req, res) => {
    if (stopping && !res.headersSent) res.setHeader("Connection", "close");
  });

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
  return { url: `http://${host}:${port}`, server, stopped, stop };
}
