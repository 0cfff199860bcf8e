import type { Command } from "commander";
import { Connections } from "../../auth/connections.js";
import { EcnError } from "../../errors.js";
import { microToCredits, microToCreditsText } from "../../money.js";
import { isoTime, printJson, respondList, wroteTo } from "../output.js";
import { requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

/** `ecn-mcp connections`: the apps organisations connected through OAuth (Claude, ChatGPT, ...), and revoking them. */
export function register(program: Command): void {
  const connections = program.command("connections").description(VERBS.connections.summary);

  connections
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list connections: client, organisation, scope, daily cap, created, last used, spend today and in total")
    .action(
      withLedger(async (app, options: { org?: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : undefined;
        const list = await new Connections(app.ledger).list(org?.id ?? null);
        const rows = list.map((c) => ({
          id: c.id,
          client_name: c.clientName,
          client_id: c.clientId,
          org_id: c.orgId,
          org_name: c.orgName,
          scope: c.scope,
          day_cap_credits: microToCredits(c.dayCapMicroCredits),
          spent_today_credits: microToCredits(c.todayChargedMicroCredits),
          spent_total_credits: microToCredits(c.totalChargedMicroCredits),
          calls: c.calls,
          signed_in_via: c.signedInVia,
          created_at: isoTime(c.createdAt),
          last_used_at: isoTime(c.lastUsedAt) || null,
          revoked_at: isoTime(c.revokedAt) || null,
        }));
        respondList(
          options,
          rows,
          ["id", "client", "org", "scope", "cap/day", "today", "total", "created", "last used", "revoked"],
          list.map((c, i) => [
            c.id,
            c.clientName,
            c.orgName,
            c.scope,
            microToCreditsText(c.dayCapMicroCredits),
            microToCreditsText(c.todayChargedMicroCredits),
            microToCreditsText(c.totalChargedMicroCredits),
            rows[i]!.created_at,
            rows[i]!.last_used_at,
            rows[i]!.revoked_at,
          ]),
          // Connections are made by the apps themselves, at this server's consent page: there is no verb that adds one.
          `No connections${org ? ` for ${org.name}` : ""} in ${app.location} yet. An app connects itself: add ECN_PUBLIC_URL/mcp as a connector in the app, and sign in at the page it opens`,
        );
      }),
    );

  connections
    .command("revoke")
    .argument("<connection-id>", "the connection's id (from connections list)")
    .option("--json", "machine-readable output")
    .description("revoke a connection: its tokens stop working at the next request, on every instance")
    .action(
      withLedger(async (app, id: string, options: { json?: boolean }) => {
        const revoked = await new Connections(app.ledger).revoke(id);
        if (!revoked) throw new EcnError("invalid_input", `no live connection with id ${id} (see ecn-mcp connections list)`);
        if (options.json) printJson({ id, revoked: true, ledger: app.location });
        else console.log(`Connection ${id} revoked: the app must be connected again.`);
        wroteTo(options, app.location);
      }),
    );
}
