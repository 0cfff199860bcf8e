/**
 * server.json, the MCP registry entry: valid against the registry's own schema
 * (a copy in test/fixtures/mcp-registry, JSON Schema draft-07, formats checked),
 * and true to the package it describes — the name npm's package.json claims
 * (mcpName), its version, the icons in assets/, and environment choices the
 * server's configuration accepts.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { SERVER_VERSION } from "../../src/server/create-server.js";

const root = resolve(import.meta.dirname, "../..");
const readJson = (path: string): unknown => JSON.parse(readFileSync(resolve(root, path), "utf8"));
const schema = readJson("test/fixtures/mcp-registry/server.schema.json") as { $id: string };
const pkg = readJson("package.json") as { name: string; version: string; mcpName: string; repository: { url: string } };

interface Input {
  name?: string;
  default?: string;
  choices?: string[];
  isSecret?: boolean;
  isRequired?: boolean;
}
interface Package {
  registryType: string;
  identifier: string;
  version?: string;
  fileSha256?: string;
  transport: { type: string };
  environmentVariables?: Input[];
}
interface ServerJson {
  $schema: string;
  name: string;
  version: string;
  repository: { url: string; source: string };
  icons: { src: string; mimeType: string }[];
  packages: Package[];
  remotes: { type: string; url: string; variables: Record<string, Input>; headers: Input[] }[];
}
const server = readJson("server.json") as ServerJson;

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

describe("server.json", () => {
  it("is valid against the MCP registry's server.json schema", () => {
    const validate = validator();
    expect(server.$schema).toBe(schema.$id);
    expect(validate(server), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("is checked by a validator that refuses what the registry refuses", () => {
    const validate = validator();
    const broken = (change: (copy: ServerJson) => void) => {
      const copy = structuredClone(server);
      change(copy);
      return validate(copy);
    };
    expect(broken((s) => (s.packages[0]!.version = "latest"))).toBe(false);
    expect(broken((s) => (s.name = "ecn-mcp"))).toBe(false);
    expect(broken((s) => (s.packages[1]!.fileSha256 = "not-a-sha"))).toBe(false);
    expect(broken((s) => (s.remotes[0]!.url = "mcp.example.com/mcp"))).toBe(false);
  });

  it("names the npm package as package.json does, at the version the server reports to clients", () => {
    expect(server.name).toBe(pkg.mcpName);
    expect(server.version).toBe(pkg.version);
    expect(SERVER_VERSION).toBe(pkg.version);
    expect(server.repository.url).toBe(pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, ""));
    const npm = server.packages.find((p) => p.registryType === "npm");
    expect(npm).toMatchObject({ identifier: pkg.name, version: pkg.version, transport: { type: "stdio" } });
  });

  it("points at the release's .mcpb for this version, with its sha256", () => {
    const mcpb = server.packages.find((p) => p.registryType === "mcpb");
    expect(mcpb?.version).toBe(pkg.version);
    expect(mcpb?.identifier).toMatch(
      new RegExp(`^${server.repository.url}/releases/download/v${pkg.version.replace(/\./g, "\\.")}/ecn-mcp-[a-z0-9]+-[a-z0-9]+\\.mcpb$`),
    );
    expect(mcpb?.fileSha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it("describes the hosted remote as a URL template with its host variable and an optional secret API key", () => {
    expect(server.remotes).toEqual([
      expect.objectContaining({
        type: "streamable-http",
        url: "https://{host}/mcp",
        variables: { host: expect.objectContaining({ isRequired: true }) as Input },
      }),
    ]);
    expect(server.remotes[0]!.headers).toEqual([expect.objectContaining({ name: "Authorization", isSecret: true, isRequired: false })]);
  });

  it("shows icons that are committed in assets/", () => {
    const prefix = `${server.repository.url.replace("https://github.com/", "https://raw.githubusercontent.com/")}/main/`;
    for (const icon of server.icons) {
      expect(icon.src.startsWith(prefix), icon.src).toBe(true);
      expect(existsSync(resolve(root, icon.src.slice(prefix.length))), icon.src).toBe(true);
    }
  });

  it("offers environment defaults and choices the server's configuration accepts, and keeps the provider keys secret", () => {
    const env = server.packages.find((p) => p.registryType === "npm")!.environmentVariables!;
    const byName = new Map(env.map((v) => [v.name!, v]));
    expect(byName.get("OPENROUTER_API_KEY")).toMatchObject({ isSecret: true, isRequired: false });
    expect(byName.get("APIFY_API_TOKEN")).toMatchObject({ isSecret: true, isRequired: false });
    const defaults = Object.fromEntries(env.filter((v) => v.default !== undefined).map((v) => [v.name!, v.default!]));
    const config = loadConfig(defaults);
    expect(config).toMatchObject({ org: "local", deploymentMode: "self_host", sandbox: false });
    for (const variable of env.filter((v) => v.choices)) {
      for (const choice of variable.choices!) expect(() => loadConfig({ ...defaults, [variable.name!]: choice }), `${variable.name}=${choice}`).not.toThrow();
    }
  });
});
