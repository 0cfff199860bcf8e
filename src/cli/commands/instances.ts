import type { Command } from "commander";
import { instanceStandings, thisProcess } from "../../fleet/liveness.js";
import { isoTime, respond } from "../output.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

const secondsSince = (now: number, ms: number | null) => (ms === null ? null : Math.max(0, Math.round((now - ms) / 1000)));

export function register(program: Command): void {
  program
    .command("instances")
    .option("--json", "machine-readable output")
    .description(VERBS.instances.summary)
    .action(
      withLedger(async (app, options: { json?: boolean }) => {
        const now = Date.now();
        const standings = await instanceStandings(app.ledger, thisProcess(), now, app.config.instances.ttlMs);
        respond(
          options,
          standings.map((s) => ({
            id: s.id,
            kind: s.kind,
            host: s.host,
            pid: s.pid,
            started_at: s.startedAt === null ? null : isoTime(s.startedAt),
            age_seconds: secondsSince(now, s.startedAt),
            heartbeat_seconds_ago: secondsSince(now, s.heartbeatAt),
            open_calls: s.openCalls,
            status: s.alive ? "alive" : "dead",
            why: s.why,
          })),
          ["instance", "kind", "host", "pid", "age (s)", "heartbeat (s ago)", "open calls", "status", "why"],
          standings.map((s) => [
            s.id,
            s.kind,
            s.host,
            s.pid,
            secondsSince(now, s.startedAt),
            secondsSince(now, s.heartbeatAt),
            s.openCalls,
            s.alive ? "alive" : "dead",
            s.why,
          ]),
        );
        if (!options.json && standings.length === 0) console.log("No server instances: none is running, and no call waits on a dead one.");
      }),
    );
}
