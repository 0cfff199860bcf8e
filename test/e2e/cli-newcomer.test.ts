/**
 * The command line as a newcomer meets it, through the built `ecn-mcp`: a
 * mistyped verb is named as unknown (with the nearest verb), an empty list
 * says so and how to add to it, a writing verb says which ledger it wrote to.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cliRunner } from "../helpers/stack.js";
import { freshTarget, STORE } from "../helpers/store.js";

type Run = ReturnType<typeof cliRunner>;
type Failed = { code: number; stdout: string; stderr: string };
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("the command succeeded");
    },
    (error: Failed) => error,
  );

/** The CLI on a fresh ledger of the project's store; `shown` is how the CLI names that ledger. */
async function freshCli(): Promise<{ cli: Run; shown: string; password: string | null; dbPath: string }> {
  const fresh = await freshTarget();
  const cli = cliRunner({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...fresh.env });
  if (STORE === "sqlite") return { cli, shown: `SQLite file ${resolve(fresh.dbPath)}`, password: null, dbPath: fresh.dbPath };
  const url = new URL(fresh.target.databaseUrl!);
  const password = decodeURIComponent(url.password) || null;
  if (url.password) url.password = "***";
  return { cli, shown: `PostgreSQL database ${url.toString()}`, password, dbPath: "" };
}

describe("an unknown verb", () => {
  it("is named as unknown, with the list of verbs when none is near, and changes nothing", async () => {
    const { cli, dbPath } = await freshCli();
    const failure = await failureOf(cli("frobnicate"));
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("ecn-mcp: unknown command 'frobnicate'.");
    expect(failure.stderr).toMatch(
      /The commands are: stdio, demo, http, .*wallet.*budget, packs, recharge, alerts, webhook, .*audit-costs, connections, member\./,
    );
    expect(failure.stderr).not.toContain("too many arguments");
    // Not taken for the stdio server's argument: no server started, no ledger made.
    if (STORE === "sqlite") expect(existsSync(dbPath)).toBe(false);
  });

  it("suggests the verb it is a typo of", async () => {
    const { cli } = await freshCli();
    const failure = await failureOf(cli("walet", "--org", "acme"));
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("ecn-mcp: unknown command 'walet'. Did you mean: ecn-mcp wallet?");
    expect((await failureOf(cli("help", "orgs"))).stderr).toContain("Did you mean: ecn-mcp org?");
  });

  it("leaves the verbs and the program's help alone", async () => {
    const { cli } = await freshCli();
    const help = await cli("--help");
    expect(help.stdout).toMatch(/^ {2}wallet +show an organisation's wallet/m);
    expect(help.stdout).toMatch(/^ {2}ledger +the ledger itself/m);
    expect((await cli("help", "ledger")).stdout).toMatch(/check \[options\] +check every invariant/);
    expect((await cli("org", "list", "--json")).stdout.trim()).toBe("[]");
  });
});

describe("an empty list", () => {
  it("says there is nothing there, in which ledger, and how to add one; --json stays an empty array", async () => {
    const { cli, shown } = await freshCli();
    const where = shown.replace(/^(SQLite file|PostgreSQL database) /, "");
    expect((await cli("org", "list")).stdout.trim()).toBe(`No organisations in ${where} yet. Create one with: ecn-mcp org create <name>`);
    await cli("org", "create", "acme");
    expect((await cli("key", "list")).stdout.trim()).toBe(`No API keys in ${where} yet. Create one with: ecn-mcp key create --org <org>`);
    expect((await cli("key", "list", "--org", "acme")).stdout.trim()).toBe(
      `No API keys for acme in ${where} yet. Create one with: ecn-mcp key create --org acme`,
    );
    expect((await cli("budget", "list", "--org", "acme")).stdout.trim()).toBe(
      `No budgets for acme in ${where} yet. Set one with: ecn-mcp budget set --org acme --period month --credits 100`,
    );
    expect((await cli("rate-card", "price", "list")).stdout.trim()).toMatch(
      /^No model prices of yours in .*: every model is priced by OpenRouter's list\. Give a model a price with: ecn-mcp rate-card price set <model> --prompt USD --completion USD$/,
    );
    expect((await cli("connections", "list", "--org", "acme")).stdout.trim()).toBe(
      `No connections for acme in ${where} yet. An app connects itself: add ECN_PUBLIC_URL/mcp as a connector in the app, and sign in at the page it opens`,
    );
    expect((await cli("member", "list")).stdout.trim()).toBe(`No members in ${where} yet. Add one with: ecn-mcp member add --org <org> --email <email>`);
    for (const args of [
      ["key", "list"],
      ["budget", "list"],
      ["rate-card", "price", "list"],
      ["connections", "list"],
      ["member", "list"],
    ]) {
      expect((await cli(...args, "--json")).stdout.trim(), args.join(" ")).toBe("[]");
    }
    // Once there is something, the table comes back.
    await cli("budget", "set", "--org", "acme", "--period", "month", "--credits", "5");
    expect((await cli("budget", "list")).stdout).toMatch(/│ acme +│ \(all\) +│ month +│ 5 +│ 0 +│ hard +│/);
  });
});

describe("a writing verb", () => {
  it("says which ledger it wrote to, a file path or the database URL without its password", async () => {
    const { cli, shown, password } = await freshCli();
    const where = shown.replace(/^(SQLite file|PostgreSQL database) /, "");
    const outputs = [
      await cli("org", "create", "acme"),
      await cli("credits", "grant", "--org", "acme", "--credits", "2.5"),
      await cli("budget", "set", "--org", "acme", "--period", "day", "--credits", "1"),
      await cli("key", "create", "--org", "acme"),
      await cli("member", "add", "--org", "acme", "--email", "dana@acme.example"),
      await cli("member", "remove", "--org", "acme", "--email", "dana@acme.example"),
    ];
    for (const { stdout, stderr } of outputs) {
      expect(stdout.trim().split("\n").at(-1)).toBe(`Written to the ledger in the ${shown}`);
      if (password) expect(stdout + stderr).not.toContain(password);
    }
    const json = JSON.parse((await cli("credits", "grant", "--org", "acme", "--credits", "1", "--json")).stdout) as { ledger: string; balance_credits: number };
    expect(json).toMatchObject({ ledger: where, balance_credits: 3.5 });
    expect(JSON.parse((await cli("org", "create", "beta", "--json")).stdout)).toMatchObject({ name: "beta", ledger: where });
  });
});
