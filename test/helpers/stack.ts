/**
 * End-to-end harness: the built `ecn-mcp` spawned over stdio with the SDK's
 * real Client, the simulators on loopback, and the ledger (a file, or a
 * PostgreSQL database, whichever store the test project runs) opened by the
 * test too, for assertions.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach } from "vitest";
import type { LedgerTarget } from "../../src/ledger/index.js";
import { startApifySimulator, type ApifySimulator, type ApifySimulatorOptions } from "../../src/simulator/apify.js";
import { startOpenRouterSimulator, type OpenRouterSimulator } from "../../src/simulator/openrouter.js";
import { startSocrataSimulator, type SocrataSimulator } from "../../src/simulator/socrata.js";
import { freshTarget, openTestLedger, sqlRows, type FreshTarget, type TestLedger } from "./store.js";
import { waitFor } from "./wait.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const run = promisify(execFile);

export interface Stack {
  client: Client;
  sim: OpenRouterSimulator;
  apify: ApifySimulator;
  socrata: SocrataSimulator;
  /** The SQLite file ("" on PostgreSQL). */
  dbPath: string;
  target: LedgerTarget;
  env: Record<string, string>;
  stderr: () => string;
  /** The ledger, opened by the test (a second connection, as an operator would). */
  ledger: TestLedger;
  orgId: string;
  cli: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;
  call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;
  /** Stops the server process and starts a new one on the same ledger. */
  restart: () => Promise<void>;
  /** Another server process on the same ledger, with its own client (closed with the stack). */
  anotherClient: () => Promise<Client>;
  close: () => Promise<void>;
}

const stacks: Stack[] = [];
afterEach(async () => {
  while (stacks.length) await stacks.pop()?.close();
});

export interface StackOptions {
  credits?: string;
  env?: Record<string, string>;
  /** Leave OPENROUTER_API_KEY unset. */
  withoutOpenRouter?: boolean;
  /** OpenRouter simulator behaviour in force before the server starts (a server fetches the price list as it starts). */
  openRouterDefaults?: Partial<OpenRouterSimulator["defaults"]>;
  /** The Apify simulator's options (its clock, for instance). */
  apify?: ApifySimulatorOptions;
}

export function cliRunner(env: Record<string, string>) {
  return (...args: string[]) => run(process.execPath, [CLI, ...args], { env });
}

export interface Providers {
  sim: OpenRouterSimulator;
  apify: ApifySimulator;
  socrata: SocrataSimulator;
  /** The SQLite file ("" on PostgreSQL). */
  dbPath: string;
  target: LedgerTarget;
  /** Environment pointing a server at the simulators and a fresh ledger. */
  env: Record<string, string>;
  close: () => Promise<void>;
}

/** The three loopback simulators and a server environment pointing at them (and at `fresh`, or a new ledger). */
export async function startProviders(
  options: Pick<StackOptions, "env" | "withoutOpenRouter"> & { fresh?: FreshTarget; apify?: ApifySimulatorOptions } = {},
): Promise<Providers> {
  const fresh = options.fresh ?? (await freshTarget());
  const [sim, apify, socrata] = await Promise.all([startOpenRouterSimulator(), startApifySimulator(options.apify), startSocrataSimulator()]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...fresh.env,
    ECN_ORG: "e2e",
    OPENROUTER_BASE_URL: sim.baseUrl,
    APIFY_BASE_URL: apify.baseUrl,
    APIFY_API_TOKEN: apify.token,
    ECN_SOCRATA_BASE_URL: socrata.baseUrl,
    ...(options.withoutOpenRouter ? {} : { OPENROUTER_API_KEY: sim.apiKey }),
    ...options.env,
  };
  const close = async () => {
    await Promise.all([sim.close(), apify.close(), socrata.close()]);
  };
  return { sim, apify, socrata, dbPath: fresh.dbPath, target: fresh.target, env, close };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const providers = await startProviders(options);
  const { sim, apify, socrata, dbPath, target, env } = providers;
  Object.assign(sim.defaults, options.openRouterDefaults);
  const cli = cliRunner(env);
  await cli("org", "create", "e2e");
  if (options.credits !== "0") await cli("credits", "grant", "--org", "e2e", "--credits", options.credits ?? "10");

  let stderr = "";
  const connect = async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: "pipe" });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: "ecn-e2e", version: "1.0.0" });
    await client.connect(transport);
    return client;
  };
  const extra: Client[] = [];
  const ledger = await openTestLedger(target);
  const org = await ledger.findOrg("e2e");
  const stack: Stack = {
    client: await connect(),
    sim,
    apify,
    socrata,
    dbPath,
    target,
    env,
    stderr: () => stderr,
    ledger,
    orgId: org!.id,
    cli,
    call: (name, args = {}) => stack.client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    restart: async () => {
      await stack.client.close();
      stack.client = await connect();
    },
    anotherClient: async () => {
      const client = await connect();
      extra.push(client);
      return client;
    },
    close: async () => {
      for (const client of extra) await client.close().catch(() => undefined);
      await stack.client.close().catch(() => undefined);
      await providers.close();
    },
  };
  stacks.push(stack);
  return stack;
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === "text" ? first.text : "";
}

export const PROFILE_ARGS = {
  business_name: "Northwind Roofing",
  notes:
    "Family-run roofing contractor in Austin since 1998. Residential re-roofs and storm repair, " +
    "mostly asphalt shingle and metal. Customers are homeowners after hail storms. Friendly, plain-spoken.",
  facts: ["Licensed and insured in Texas", "Free inspections within 48 hours"],
};

export { countRows, sqlRows } from "./store.js";

/** Rows of a query on the stack's ledger (integers as BigInt). */
export function rows(stack: { ledger: TestLedger }, text: string): Promise<Record<string, unknown>[]> {
  return sqlRows(stack.ledger, text);
}

export { waitFor } from "./wait.js";
/**
 * Holds OpenRouter's streamed answers after their first chunk until the open
 * call's provider reference is in the ledger, then lets them finish: the
 * answer of a provider still generating, whose reference the server stores
 * during the stream. Resolves once released.
 */
export async function releaseOnceReferenced(stack: { sim: OpenRouterSimulator; ledger: TestLedger }): Promise<void> {
  const release = stack.sim.pauseStreams();
  try {
    await waitFor(async () => (await stack.ledger.openCalls()).some((call) => call.providerRefs.length > 0));
  } finally {
    release();
  }
}
