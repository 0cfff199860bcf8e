// @ts-check
/** CPU time of processes and of the whole machine, read from /proc (Linux), for CPU-per-call figures. */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const HZ = 100;

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is the state, [1] the parent pid.
 * @param {number | string} pid
 */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(") ") + 2).split(" ");
}

/**
 * CPU seconds a process has used, all its threads, user and system.
 * @param {number | string} pid
 */
export function cpuSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / HZ;
}

/**
 * CPU seconds of several processes together (a missing pid counts nothing).
 * @param {(number | null | undefined)[]} pids
 */
export const cpuOf = (pids) => pids.reduce((/** @type {number} */ sum, pid) => sum + (pid == null ? 0 : cpuSeconds(pid)), 0);

/**
 * CPU seconds of a process and of all its children, alive or ended: a PostgreSQL server is its postmaster and one
 * backend per connection, and a backend whose connection closed (a pool dropping an idle one) has its CPU added to
 * the postmaster's reaped children's time, so the sum never goes back.
 * @param {number} rootPid
 */
export function familyCpuSeconds(rootPid) {
  const root = statFields(rootPid);
  // cutime and cstime: the CPU of children that ended and were waited for.
  let total = (Number(root[13]) + Number(root[14])) / HZ;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (Number(pid) === rootPid || Number(statFields(pid)[1]) === rootPid) total += cpuSeconds(pid);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/**
 * The postmaster of the PostgreSQL server at `url` (the parent of the backend a query runs on), when it runs on this machine.
 * @param {string} url
 * @returns {Promise<number | null>}
 */
export async function postmasterPid(url) {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT pg_backend_pid() AS pid");
    return Number(statFields(/** @type {{ pid: number }} */ (rows[0]).pid)[1]);
  } catch {
    return null; // a server elsewhere: no /proc entry for its backend
  } finally {
    await client.end();
  }
}

/** Busy and total CPU ticks of the whole machine (all cores), to tell how much of it a run used. */
export function machineTicks() {
  const values = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // The 4th and 5th fields are idle and iowait.
  return { busy: (total - (values[3] ?? 0) - (values[4] ?? 0)) / HZ, total: total / HZ };
}

/** CPU seconds this process (the bench: load generator and simulators) has used. */
export function selfCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
