// @ts-check
/** Latency of the metered paid call against the floor, interleaved round by round. */
import { join } from "node:path";
import { fundedKey, PROFILE, timeInterleaved } from "../lib/load.mjs";
import { benchEnv, CLI, freshDb, ROOT, stdioClient } from "../lib/stack.mjs";
import { ms, summary, table } from "../lib/stats.mjs";

/**
 * @param {import("../lib/stack.mjs").Sims} sims
 * @param {{ rounds: number }} options
 */
export async function latencySection(sims, { rounds }) {
  const env = benchEnv(sims, freshDb());
  fundedKey(env);
  const echo = await stdioClient(process.execPath, [join(ROOT, "bench/lib/echo-server.mjs")], env);
  const ecn = await stdioClient(process.execPath, [CLI], env);
  const body = JSON.stringify({
    model: "openai/gpt-4o-mini",
    max_tokens: 1200,
    stream: true,
    messages: [
      { role: "system", content: "You are a senior brand strategist." },
      { role: "user", content: PROFILE.notes },
    ],
  });
  const variants = {
    echo: () => echo.client.callTool({ name: "echo", arguments: { text: "hello" } }),
    direct: async () => {
      const response = await fetch(`${sims.openrouter.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${sims.openrouter.apiKey}`, "content-type": "application/json" },
        body,
      });
      await response.text();
    },
    paid: async () => {
      const result = await ecn.client.callTool({ name: "profile_draft", arguments: PROFILE });
      if (result.isError) throw new Error(JSON.stringify(result.content));
    },
    wallet: () => ecn.client.callTool({ name: "get_wallet_balance", arguments: {} }),
  };
  const samples = await timeInterleaved(variants, rounds, Math.min(100, Math.floor(rounds / 5)));
  await echo.client.close();
  await ecn.client.close();
  const stats = { echo: summary(samples.echo), direct: summary(samples.direct), paid: summary(samples.paid), wallet: summary(samples.wallet) };
  const overhead = {
    p50: stats.paid.p50 - stats.echo.p50 - stats.direct.p50,
    p99: stats.paid.p99 - stats.echo.p99 - stats.direct.p99,
  };
  table(
    `Latency over ${rounds} interleaved rounds (stdio, one call at a time)`,
    ["variant", "p50", "p99", "mean"],
    [
      ["echo tool, bare MCP SDK server (floor)", ms(stats.echo.p50), ms(stats.echo.p99), ms(stats.echo.mean)],
      ["direct HTTP request to the simulator (floor)", ms(stats.direct.p50), ms(stats.direct.p99), ms(stats.direct.mean)],
      ["profile_draft, metered (hold, dispatch, reference, settle)", ms(stats.paid.p50), ms(stats.paid.p99), ms(stats.paid.mean)],
      ["get_wallet_balance", ms(stats.wallet.p50), ms(stats.wallet.p99), ms(stats.wallet.mean)],
      ["overhead = metered - echo - direct (target p50 <= 1, p99 <= 4)", ms(overhead.p50), ms(overhead.p99), ""],
    ],
  );
  return { stats, overhead };
}
