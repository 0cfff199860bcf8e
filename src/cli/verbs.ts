/**
 * The verbs: each one's name, the line the help listing shows, and the
 * module that defines it, loaded only when that verb runs (so `--help` and
 * every verb load commander and their own module, not every verb's).
 *
 * Which verb the command line names: `ecn-mcp` with no verb is the stdio
 * server (what an MCP client launches), but a word that is no verb must not
 * become stdio's argument: it is an unknown command, answered with the
 * nearest verb when one is close, else the list of verbs.
 */
import type { Command } from "commander";
import { EXIT } from "./exit-codes.js";

export interface VerbModule {
  /** Defines the module's verbs (options, arguments, actions) on the program. */
  register(program: Command): void;
}

export interface Verb {
  summary: string;
  load: () => Promise<VerbModule>;
}

export const VERBS = {
  stdio: {
    summary: "serve MCP over stdio (the default: what `ecn-mcp` with no command does)",
    load: () => import("./commands/serve.js"),
  },
  demo: {
    summary: "run the whole loop against simulated providers in a throwaway ledger (no keys, no network)",
    load: () => import("./commands/serve.js"),
  },
  http: {
    summary: "serve Streamable HTTP MCP and the REST credit API (API keys decide the organisation)",
    load: () => import("./commands/http.js"),
  },
  dashboard: {
    summary: "serve the usage and margin dashboard on 127.0.0.1 and print a one-time sign-in link",
    load: () => import("./commands/dashboard.js"),
  },
  migrate: { summary: "apply ledger migrations (also done automatically at start)", load: () => import("./commands/migrate.js") },
  ledger: { summary: "the ledger itself: check its invariants, move it between stores", load: () => import("./commands/ledger.js") },
  org: { summary: "organisations (each has one credit wallet)", load: () => import("./commands/org.js") },
  key: { summary: "API keys for HTTP mode (each belongs to one organisation)", load: () => import("./commands/key.js") },
  credits: { summary: "credit grants", load: () => import("./commands/credits.js") },
  wallet: { summary: "show an organisation's wallet: balance, held, available", load: () => import("./commands/credits.js") },
  "rate-card": {
    summary: "what each feature costs: provider, model, max_tokens, hold floor; and model prices",
    load: () => import("./commands/rate-card.js"),
  },
  budget: { summary: "spending limits per organisation and feature", load: () => import("./commands/budget.js") },
  packs: { summary: "credit packs customers can buy through Stripe Checkout", load: () => import("./commands/packs.js") },
  recharge: { summary: "auto-recharge: charge the saved card when the balance runs low", load: () => import("./commands/recharge.js") },
  alerts: {
    summary: "alerts raised: low, depleted and recovered balances, budgets at 80% and 100%, spend anomalies, failed recharges",
    load: () => import("./commands/alerts.js"),
  },
  webhook: { summary: "where an organisation's events are sent (signed, Standard Webhooks)", load: () => import("./commands/webhook.js") },
  reconcile: {
    summary: "settle or void paid calls whose server died, or left unknown (safe beside running servers: their calls are left to them)",
    load: () => import("./commands/reconcile.js"),
  },
  instances: {
    summary: "list server instances on this ledger: age, last heartbeat, open calls, and whether reconcile takes them for alive",
    load: () => import("./commands/instances.js"),
  },
  "mcp-config": {
    summary: "print the MCP client block that runs this server, with absolute paths to this node and this install",
    load: () => import("./commands/mcp-config.js"),
  },
  simulate: {
    summary: "start the simulated OpenRouter, Apify and Socrata on loopback and print the environment that points a server at them",
    load: () => import("./commands/simulate.js"),
  },
  usage: { summary: "export usage events, oldest first, streamed", load: () => import("./commands/usage.js") },
  "check-margins": {
    summary: `realised gross margin per feature; exits ${EXIT.loss} when a feature lost money`,
    load: () => import("./commands/margins.js"),
  },
  "audit-costs": {
    summary: `compare the ledger's provider costs with the providers' own account; exits ${EXIT.costGap} on a gap`,
    load: () => import("./commands/audit-costs.js"),
  },
  connections: {
    summary: "apps connected with OAuth (Claude, ChatGPT, ...), each with its scope and daily credit cap; revoke one",
    load: () => import("./commands/connections.js"),
  },
  member: {
    summary: "people who may connect apps for an organisation by signing in with its identity provider",
    load: () => import("./commands/members.js"),
  },
} as const satisfies Record<string, Verb>;

export type VerbName = keyof typeof VERBS;
export const VERB_NAMES = Object.keys(VERBS) as VerbName[];

const isVerb = (word: string): word is VerbName => Object.hasOwn(VERBS, word);

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The verb nearest to `word`, when it is close enough to be a typo of it (the verb sharing more than 40% of its letters). */
export function nearestVerb(word: string, verbs: readonly string[]): string | undefined {
  let best: { verb: string; distance: number } | undefined;
  for (const verb of verbs) {
    const distance = editDistance(word.toLowerCase(), verb);
    const length = Math.max(word.length, verb.length);
    if ((length - distance) / length > 0.4 && (!best || distance < best.distance)) best = { verb, distance };
  }
  return best?.verb;
}

/** The message for a word that is no verb. */
export function unknownVerbMessage(word: string, verbs: readonly string[] = VERB_NAMES): string {
  const nearest = nearestVerb(word, verbs);
  const hint = nearest ? `Did you mean: ecn-mcp ${nearest}?` : `The commands are: ${verbs.join(", ")}.`;
  return `ecn-mcp: unknown command '${word}'. ${hint}\nRun ecn-mcp --help for what each one does (ecn-mcp with no command serves MCP over stdio).`;
}

export type Dispatch =
  /** Run a verb (its module defines it), or answer the program's own --help / --version (no verb). */
  { kind: "run"; verb: VerbName | null; argv: string[] } | { kind: "unknown"; word: string };

/** Whether the command line starts the stdio server (not its --help). */
export function servesStdio(route: Dispatch): boolean {
  return route.kind === "run" && route.verb === "stdio" && !route.argv.slice(2).some((arg) => arg === "-h" || arg === "--help");
}

/**
 * What to do with a command line: the verb given, or `stdio` when none is
 * (its options, such as --sandbox, then go to stdio); `help <verb>` is that
 * verb's --help; a word that is no verb is unknown.
 */
export function dispatch(argv: readonly string[]): Dispatch {
  const [node = "node", script = "ecn-mcp", ...args] = argv;
  const at = args.findIndex((arg) => !arg.startsWith("-"));
  if (at < 0) {
    const asksProgram = args.some((arg) => ["-h", "--help", "-V", "--version"].includes(arg));
    return asksProgram ? { kind: "run", verb: null, argv: [...argv] } : { kind: "run", verb: "stdio", argv: [node, script, "stdio", ...args] };
  }
  const word = args[at]!;
  if (word === "help") {
    const topic = args.slice(at + 1).find((arg) => !arg.startsWith("-"));
    if (topic === undefined) return { kind: "run", verb: null, argv: [node, script, "--help"] };
    return isVerb(topic) ? { kind: "run", verb: topic, argv: [node, script, topic, "--help"] } : { kind: "unknown", word: topic };
  }
  return isVerb(word) ? { kind: "run", verb: word, argv: [...argv] } : { kind: "unknown", word };
}
