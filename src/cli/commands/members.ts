import type { Command } from "commander";
import { Members } from "../../auth/members.js";
import { EcnError } from "../../errors.js";
import { isoTime, printJson, respondList, wroteTo } from "../output.js";
import { requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

/** `ecn-mcp member`: who may sign in for an organisation through its identity provider (ECN_OIDC_ISSUER) when connecting an app. */
export function register(program: Command): void {
  const member = program.command("member").description(VERBS.member.summary);

  member
    .command("add")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--email <email>", "the address the identity provider vouches for")
    .option("--json", "machine-readable output")
    .description("make a person a member of an organisation")
    .action(
      withLedger(async (app, options: { org: string; email: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const members = new Members(app.ledger);
        const added = await members.add(org.id, options.email);
        const email = options.email.trim().toLowerCase();
        if (options.json) printJson({ org_id: org.id, org_name: org.name, email, added, ledger: app.location });
        else console.log(added ? `${email} is now a member of "${org.name}".` : `${email} was already a member of "${org.name}".`);
        if (added) wroteTo(options, app.location);
      }),
    );

  member
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list members")
    .action(
      withLedger(async (app, options: { org?: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : undefined;
        const names = new Map((await app.ledger.listOrgs()).map((o) => [o.id, o.name]));
        const rows = (await new Members(app.ledger).list(org?.id ?? null)).map((m) => ({
          org_id: m.orgId,
          org_name: names.get(m.orgId) ?? null,
          email: m.email,
          created_at: isoTime(m.createdAt),
        }));
        respondList(
          options,
          rows,
          ["org", "email", "added"],
          rows.map((r) => [r.org_name, r.email, r.created_at]),
          `No members${org ? ` of ${org.name}` : ""} in ${app.location} yet. Add one with: ecn-mcp member add --org ${org?.name ?? "<org>"} --email <email>`,
        );
      }),
    );

  member
    .command("remove")
    .requiredOption("--org <org>", "organisation id or name")
    .requiredOption("--email <email>", "the member's address")
    .option("--json", "machine-readable output")
    .description("remove a member (connections already made stay until revoked: see ecn-mcp connections)")
    .action(
      withLedger(async (app, options: { org: string; email: string; json?: boolean }) => {
        const org = await requireOrg(app.ledger, options.org);
        const removed = await new Members(app.ledger).remove(org.id, options.email);
        if (!removed) throw new EcnError("invalid_input", `${options.email} is not a member of "${org.name}" (see ecn-mcp member list)`);
        if (options.json) printJson({ org_id: org.id, email: options.email.trim().toLowerCase(), removed: true, ledger: app.location });
        else console.log(`${options.email.trim().toLowerCase()} is no longer a member of "${org.name}".`);
        wroteTo(options, app.location);
      }),
    );
}
