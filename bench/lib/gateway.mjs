// @ts-check
/**
 * A stateless gateway in front of the OpenRouter simulator, for the side by
 * side: Portkey's open-source gateway (@portkey-ai/gateway, its Node server),
 * routed to the simulator as a custom OpenAI-compatible host; or, when
 * Portkey cannot start, a plain forwarding proxy (forward-proxy.mjs), with
 * the reason. Either runs as a child process bound to 127.0.0.1, ends when
 * the bench ends or after `maxMs`, and is killed by close().
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { keepAlive } from "./lean-http.mjs";
import { ROOT } from "./stack.mjs";

const PRELOAD = join(ROOT, "bench/lib/child-preload.mjs");
const PORTKEY = join(ROOT, "node_modules/@portkey-ai/gateway/build/start-server.js");
const START_MS = 30_000;

/**
 * Starts a child server and waits for the preload's "listening on" line.
 * @param {string[]} args
 * @param {number} maxMs
 */
async function startChild(args, maxMs) {
  const child = spawn(process.execPath, ["--import", PRELOAD, ...args], {
    // production: Portkey serves no UI and logs less; the child ends with the bench (stdin) or after maxMs.
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", BENCH_CHILD_MAX_MS: String(maxMs) },
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  try {
    const port = await new Promise(
      /** @param {(port: number) => void} resolve @param {(error: Error) => void} reject */ (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening on" line within ${START_MS} ms: ${stderr.slice(-500)}`)), START_MS);
        child.stderr.on("data", (chunk) => {
          stderr += String(chunk);
          const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        child.once("error", (error) => (clearTimeout(timer), reject(error)));
        child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited ${code} before listening: ${stderr.slice(-500)}`))));
      },
    );
    // Keep draining its stderr (Portkey logs a line per failed request), or the pipe would fill and block it.
    child.stderr.removeAllListeners("data");
    child.stderr.on("data", (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
    return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/**
 * @param {import("#dist/simulator/openrouter.js").OpenRouterSimulator} openrouter
 * @param {{ maxMs: number }} options
 */
export async function startGateway(openrouter, { maxMs }) {
  /** @type {Awaited<ReturnType<typeof startChild>>} */
  let started;
  /** @type {{ name: string; fallbackReason: string | null }} */
  let kind;
  try {
    if (!existsSync(PORTKEY)) throw new Error(`${PORTKEY} is not installed`);
    started = await startChild([PORTKEY, "--port=0", "--headless"], maxMs);
    kind = { name: "Portkey non-streaming", fallbackReason: null };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    started = await startChild([join(ROOT, "bench/lib/forward-proxy.mjs"), openrouter.baseUrl], maxMs);
    kind = { name: "plain forwarding proxy", fallbackReason: `Portkey could not run (${reason}); measured a plain forwarding proxy instead` };
  }
  const { child, url, stderr } = started;
  const { request, close } = keepAlive(url);
  const headers = {
    authorization: `Bearer ${openrouter.apiKey}`,
    "content-type": "application/json",
    // Portkey's route to an OpenAI-compatible endpoint of one's own; loopback hosts are trusted by default.
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": openrouter.baseUrl,
  };
  return {
    ...kind,
    pid: /** @type {number} */ (child.pid),
    /**
     * A chat completion through the gateway (non-streaming: Portkey 1.15's streaming path fails on Node 20,
     * "TypeError: immutable" appending to a fetch response's headers); true when it came back whole.
     * @param {string} body
     */
    complete: async (body) => {
      const answer = await request("POST", "/v1/chat/completions", { ...headers, "content-length": Buffer.byteLength(body) }, body);
      return answer.status === 200 && answer.text.includes('"choices"');
    },
    stderr,
    close: async () => {
      close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 2_000).unref();
      });
    },
  };
}
