// @ts-check
/** Load shapes shared by the sections: the paid call, funding, many-in-flight driving, interleaved timing. */
import { cli } from "./stack.mjs";
import { now } from "./stats.mjs";

/** The arguments of the paid call every section measures (profile_draft). */
export const PROFILE = { business_name: "Bench Bakery", notes: "A sourdough bakery in Portland with a warm, plain-spoken voice and a cafe." };

/**
 * A paid call over an MCP SDK client; resolves true when it succeeded.
 * @param {import("@modelcontextprotocol/sdk/client/index.js").Client} client
 * @returns {() => Promise<boolean>}
 */
export const sdkPaidCall = (client) => async () =>
  !(await client.callTool({ name: "profile_draft", arguments: PROFILE }, undefined, { timeout: 120_000 })).isError;

/**
 * An organisation "bench" with plenty of credits on the ledger `env` names; returns an API key for it.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
export function fundedKey(env) {
  cli(env, "org", "create", "bench");
  cli(env, "credits", "grant", "--org", "bench", "--credits", "1000000");
  return /** @type {{ key: string }} */ (JSON.parse(cli(env, "key", "create", "--org", "bench", "--json"))).key;
}

/**
 * `calls` calls shared out over `workers` (each an async function resolving
 * true on success), `inFlight` outstanding on each; calls/s and failures.
 * @param {(() => Promise<boolean>)[]} workers
 * @param {number} calls
 * @param {number} inFlight
 * @returns {Promise<{ perSecond: number; seconds: number; failures: number }>}
 */
export async function drive(workers, calls, inFlight) {
  let next = 0;
  let failures = 0;
  const started = now();
  await Promise.all(
    workers.flatMap((call) =>
      Array.from({ length: inFlight }, async () => {
        while (next < calls) {
          next++;
          if (!(await call())) failures++;
        }
      }),
    ),
  );
  const seconds = (now() - started) / 1000;
  return { perSecond: calls / seconds, seconds, failures };
}

/**
 * Times each variant once per round, rotating which goes first, so machine
 * noise hits every variant alike; the first `warmup` rounds are not kept.
 * Returns the milliseconds of each variant, by name.
 * @template {string} Name
 * @param {Record<Name, () => Promise<unknown>>} variants
 * @param {number} rounds
 * @param {number} [warmup]
 * @returns {Promise<Record<Name, number[]>>}
 */
export async function timeInterleaved(variants, rounds, warmup = 0) {
  const names = /** @type {Name[]} */ (Object.keys(variants));
  /** @type {Record<string, number[]>} */
  const byName = Object.fromEntries(names.map((n) => [n, []]));
  const samples = /** @type {Record<Name, number[]>} */ (byName);
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = /** @type {Name} */ (names[(round + k) % names.length]);
      const started = now();
      await variants[name]();
      if (round >= warmup) samples[name].push(now() - started);
    }
  }
  return samples;
}
