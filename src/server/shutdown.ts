/** The end of a server's task runs at shutdown, shared by the stdio and HTTP servers. */
import type { Logger } from "../log.js";
import type { Metering } from "../metering/meter.js";
import type { Tasks } from "../tasks/tasks.js";

/** How long stopped task runs get to abort at the provider and settle. */
const STOP_WAIT_MS = 25_000;
/** How a run stopped by a shutdown is described ("the Apify run ... was stopped because ..."). */
export const SHUTDOWN = "was stopped because its server shut down before the run ended";

/**
 * After the drain: task runs still going are stopped (aborted at the
 * provider, charged what they cost, their tasks failed saying why), and
 * given a little time to settle. Returns how many paid calls are left.
 */
export async function stopTaskRuns(options: { metering: Metering; tasks?: Tasks | undefined; logger: Logger }, left: number): Promise<number> {
  if (left === 0 || !options.tasks?.runningCount) return left;
  const stopped = options.tasks.stopAll(SHUTDOWN);
  options.logger.warn("task runs still going at shutdown: stopped, each charged what it cost", { tasks: stopped });
  return options.metering.drain(STOP_WAIT_MS);
}
