import type { Command } from "commander";
import { EcnError } from "../../errors.js";
import { ApiKeys } from "../../accounts/api-keys.js";
import { isoTime, printJson, respondList, wroteTo } from "../output.js";
import { requireOrg } from "../parse.js";
import { withLedger } from "../runner.js";
import { VERBS } from "../verbs.js";

export function register(program: Command): void {
  const key = program.command("key").description(VERBS.key.summary);

  key
    .command("create")
    .requiredOption("--org <org>", "organisation id or name")
    .option("--name <name>", "what the key is for")
    .option("--json", "machine-readable output")
    .description("create an API key; it is printed once and stored only as a hash")
    .action(
      withLedger(async (app, options: { org: string; name?: string; json?: boolean }) => {
        if (options.name !== undefined && (options.name.length < 1 || options.name.length > 100)) {
          throw new EcnError("invalid_input", "--name is 1-100 characters");
        }
        const org = await requireOrg(app.ledger, options.org);
        const { key: secret, record } = await new ApiKeys(app.ledger).issue(org, options.name ?? null);
        if (options.json) {
          printJson({ id: record.id, org_id: org.id, org_name: org.name, name: record.name, prefix: record.prefix, key: secret, ledger: app.location });
          return;
        }
        console.log(`API key ${record.id} for organisation "${org.name}"${record.name ? ` (${record.name})` : ""}:\n\n  ${secret}\n`);
        console.log("Store it now: it is shown only this once. Send it as `Authorization: Bearer <key>`.");
        wroteTo(options, app.location);
      }),
    );

  key
    .command("list")
    .option("--org <org>", "one organisation only")
    .option("--json", "machine-readable output")
    .description("list API keys (never the keys themselves)")
    .action(
      withLedger(async (app, options: { org?: string; json?: boolean }) => {
        const org = options.org ? await requireOrg(app.ledger, options.org) : undefined;
        const keys = await new ApiKeys(app.ledger).list(org?.id);
        const names = new Map((await app.ledger.listOrgs()).map((o) => [o.id, o.name]));
        const rows = keys.map((k) => ({
          id: k.id,
          org_id: k.orgId,
          org_name: names.get(k.orgId) ?? null,
          name: k.name,
          prefix: k.prefix,
          created_at: isoTime(k.createdAt),
          last_used_at: isoTime(k.lastUsedAt) || null,
          revoked_at: isoTime(k.revokedAt) || null,
        }));
        respondList(
          options,
          rows,
          ["id", "org", "name", "prefix", "created", "last used", "revoked"],
          rows.map((r) => [r.id, r.org_name, r.name, `${r.prefix}…`, r.created_at, r.last_used_at, r.revoked_at]),
          `No API keys${org ? ` for ${org.name}` : ""} in ${app.location} yet. Create one with: ecn-mcp key create --org ${org?.name ?? "<org>"}`,
        );
      }),
    );

  key
    .command("revoke")
    .argument("<key-id>", "the key's id (from key list)")
    .option("--json", "machine-readable output")
    .description("revoke an API key; requests with it fail at once")
    .action(
      withLedger(async (app, keyId: string, options: { json?: boolean }) => {
        const revoked = await new ApiKeys(app.ledger).revoke(keyId);
        if (!revoked) throw new EcnError("invalid_input", `no live API key with id ${keyId} (see ecn-mcp key list)`);
        if (options.json) printJson({ id: keyId, revoked: true, ledger: app.location });
        else console.log(`API key ${keyId} revoked.`);
        wroteTo(options, app.location);
      }),
    );
}
