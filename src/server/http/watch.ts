/**
 * What every HTTP request leaves behind once it is answered: its latency by
 * route and status and its refusal counted by code (when metrics are kept),
 * and a debug line naming the API key or OAuth connection it came through.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { channelFields, type Logger } from "../../log.js";
import type { CallChannel } from "../../metering/types.js";
import type { Metrics } from "./metrics.js";

/** What is known of a request once it is answered. */
export interface Answered {
  /** The route that served it ("unmatched" when it was refused before any). */
  route: string;
  path: string;
  /** Our error code, when it was refused with one. */
  errorCode: unknown;
  channel: CallChannel | undefined;
}

/** Times the request from now; once its answer is sent, counts it and logs it as `answered` then says. */
export function watchRequest(metrics: Metrics | undefined, logger: Logger, req: IncomingMessage, res: ServerResponse, answered: () => Answered): void {
  const started = performance.now();
  res.on("finish", () => {
    const { route, path, errorCode, channel } = answered();
    const seconds = (performance.now() - started) / 1000;
    metrics?.httpSeconds.observe({ route, status: String(res.statusCode) }, seconds);
    if (typeof errorCode === "string") metrics?.onHttpRefusal(errorCode);
    logger.debug("http", {
      method: req.method,
      path,
      status: res.statusCode,
      ms: Math.round(seconds * 1000),
      ...channelFields(channel),
    });
  });
}
