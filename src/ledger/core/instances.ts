/** The instances table: one row per live server process, with its heartbeat. */
import { toInstance } from "../rows.js";
import { asNumber, idempotentStatement, p, statement } from "../sql.js";
import { OPEN_STATE_SQL } from "../types.js";

/** Insert or renew in one statement, so a heartbeat also brings back a row a sweeper pruned during a long pause. */
export const heartbeat = idempotentStatement(
  "instance_heartbeat",
  `INSERT INTO instances (id, host, pid, pid_scope, pid_start, kind, started_at, heartbeat_at)
   VALUES (@id, @host, @pid, @pidScope, @pidStart, @kind, @startedAt, @heartbeatAt)
   ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
  { id: p.text, host: p.text, pid: p.int, pidScope: p.textOrNull, pidStart: p.textOrNull, kind: p.text, startedAt: p.int, heartbeatAt: p.int },
);
export const deregister = idempotentStatement("instance_deregister", "DELETE FROM instances WHERE id = @id", { id: p.text });
export const listInstances = statement("list_instances", "SELECT * FROM instances ORDER BY started_at", {}, toInstance);
export const openCallsByOwner = statement(
  "open_calls_by_owner",
  `SELECT owner_instance_id, count(*) AS calls FROM tool_calls WHERE ${OPEN_STATE_SQL} GROUP BY owner_instance_id`,
  {},
  (row) => ({ ownerInstanceId: (row.owner_instance_id as string | null) ?? null, calls: asNumber(row.calls) }),
);
/** Only rows that own no open call go: a dead server stays listed (by `ecn-mcp instances`) until its calls are resolved. */
export const prune = idempotentStatement(
  "instance_prune",
  `DELETE FROM instances WHERE heartbeat_at < @before
     AND NOT EXISTS (SELECT 1 FROM tool_calls WHERE tool_calls.owner_instance_id = instances.id AND ${OPEN_STATE_SQL})`,
  { before: p.int },
);
