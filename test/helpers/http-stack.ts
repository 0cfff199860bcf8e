/** The built server in HTTP mode on a loopback port, with organisations, API keys and the simulators. */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach } from "vitest";
import type { ApifySimulatorOptions } from "../../src/simulator/apify.js";
import { openTestLedger, type TestLedger } from "./store.js";
import { CLI, cliRunner, startProviders, type Providers } from "./stack.js";

export interface HttpStack {
  providers: Providers;
  url: string;
  proc: ChildProcess;
  ledger: TestLedger;
  /** API key per organisation name. */
  keys: Record<string, string>;
  orgIds: Record<string, string>;
  cli: ReturnType<typeof cliRunner>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  get: (path: string, key?: string, headers?: Record<string, string>) => Promise<Response>;
}

const running: HttpStack[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.providers.close();
});

export interface HttpServerProcess {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const servers: HttpServerProcess[] = [];
afterEach(async () => {
  while (servers.length) {
    const server = servers.pop()!;
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill("SIGKILL");
    await server.exited;
  }
});

/** `ecn-mcp http` on a free loopback port with this environment; resolves once it listens (killed after the test). */
export async function spawnHttpServer(env: Record<string, string>): Promise<HttpServerProcess> {
  const proc = spawn(process.execPath, [CLI, "http", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`http server exited ${code}: ${stderr}`)));
  });
  const server = { proc, url, stdout: () => stdout, stderr: () => stderr, exited };
  servers.push(server);
  return server;
}

export async function startHttpStack(
  options: { orgs?: Record<string, string>; env?: Record<string, string>; apify?: ApifySimulatorOptions } = {},
): Promise<HttpStack> {
  const providers = await startProviders({ env: options.env, apify: options.apify });
  const cli = cliRunner(providers.env);
  const keys: Record<string, string> = {};
  for (const [name, credits] of Object.entries(options.orgs ?? { acme: "100" })) {
    await cli("org", "create", name);
    await cli("credits", "grant", "--org", name, "--credits", credits);
    keys[name] = (JSON.parse((await cli("key", "create", "--org", name, "--name", "test", "--json")).stdout) as { key: string }).key;
  }
  const { proc, url, stdout, stderr, exited } = await spawnHttpServer(providers.env);
  const ledger = await openTestLedger(providers.target);
  const orgIds = Object.fromEntries((await ledger.listOrgs()).map((o) => [o.name, o.id]));
  const stack: HttpStack = {
    providers,
    url,
    proc,
    ledger,
    keys,
    orgIds,
    cli,
    stdout,
    stderr,
    exited,
    get: (path, key, headers = {}) => fetch(url + path, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } }),
  };
  running.push(stack);
  return stack;
}

export interface ToolOutcome {
  ok: boolean;
  /** The error code of a refused call, or the HTTP status when the request itself failed. */
  code: string;
}

/** One tool call as a raw Streamable HTTP request (stateless: any instance answers any request). */
export async function callToolOverHttp(url: string, key: string, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  try {
    const response = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
    });
    const text = await response.text();
    if (response.status !== 200) return { ok: false, code: `http_${response.status}` };
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as { result?: { isError?: boolean; content: { text: string }[] } });
    const result = data.find((message) => message.result)?.result;
    if (!result) return { ok: false, code: "no_result" };
    return result.isError ? { ok: false, code: result.content[0]!.text.split(":")[0]! } : { ok: true, code: "ok" };
  } catch {
    return { ok: false, code: "connection_lost" };
  }
}
