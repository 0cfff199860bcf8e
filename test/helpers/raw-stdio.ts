/** The built stdio server driven line by line from its pipes, as a raw client: what it answers, exactly as written. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterEach } from "vitest";
import { CLI, startProviders, waitFor } from "./stack.js";

export interface RawServer {
  proc: ChildProcessWithoutNullStreams;
  /** Every message written to stdout so far, in order. */
  messages: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
  send: (line: string) => void;
  /** The answer to request `id`, once it comes. */
  answer: (id: unknown) => Promise<Record<string, unknown>>;
}

const started: RawServer[] = [];
afterEach(() => {
  for (const server of started.splice(0)) if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
});

/** An initialize request as a client sends it. */
export const initializeLine = (id: number, params: Record<string, unknown> = {}) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" }, ...params },
  });

/** `ecn-mcp stdio` with this environment, nothing sent yet (killed after the test). */
export function spawnRawServer(env: Record<string, string>): RawServer {
  const proc = spawn(process.execPath, [CLI, "stdio"], { env, stdio: ["pipe", "pipe", "pipe"] });
  const messages: Record<string, unknown>[] = [];
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (let newline = stdout.indexOf("\n"); newline >= 0; newline = stdout.indexOf("\n")) {
      messages.push(JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>);
      stdout = stdout.slice(newline + 1);
    }
  });
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  const server: RawServer = {
    proc,
    messages,
    stderr: () => stderr,
    exited,
    send: (line) => void proc.stdin.write(line + "\n"),
    answer: async (id) => {
      await waitFor(
        () => messages.some((m) => m.id === id),
        60_000,
        () => `no answer to ${JSON.stringify(id)}; log: ${stderr}`,
      );
      return messages.find((m) => m.id === id)!;
    },
  };
  started.push(server);
  return server;
}

/** The stdio server against the simulated providers, initialized (request id 0) and told so. */
export async function rawServer(env: Record<string, string> = {}): Promise<RawServer> {
  const providers = await startProviders();
  const server = spawnRawServer({ ...providers.env, ...env });
  void server.exited.then(() => providers.close());
  server.send(initializeLine(0));
  await server.answer(0);
  server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return server;
}
