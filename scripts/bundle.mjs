// `npm run bundle`: builds ecn-mcp.mcpb, the one-click extension for Claude Desktop and other
// MCP Bundle hosts. It stages exactly what runs — dist/ without source maps, the drizzle
// migrations, the production dependencies with better-sqlite3 reduced to its compiled binary —
// writes manifest.json (tools taken from the built tool definitions, so the list cannot drift),
// then validates and packs it with the MCPB CLI (@anthropic-ai/mcpb).
//
// The native module makes a bundle specific to the platform, CPU and Node major it was built
// with: the manifest says so (compatibility.platforms and runtimes.node), and the bundle's
// long description names them. Build it once per target you ship.
//
//   node scripts/bundle.mjs [--out FILE] [--server-json]
//     --out FILE      where to write the bundle (default: ecn-mcp.mcpb at the repository root)
//     --server-json   also write the bundle's sha256, version and release asset name
//                     (ecn-mcp-PLATFORM-ARCH.mcpb) into server.json's mcpb entry
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string" }, "server-json": { type: "boolean", default: false } } });
const out = resolve(values.out ?? join(root, "ecn-mcp.mcpb"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const mcpb = join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");

if (!existsSync(join(root, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first (npm run bundle does)");

/** Files no running server reads: types, source maps, TypeScript sources, docs, changelogs. */
function shipped(path) {
  const name = basename(path);
  if (/\.(map|d\.ts|d\.mts|d\.cts|ts|mts|cts|md|markdown)$/i.test(name) && !/^licen[cs]e/i.test(name)) return false;
  return !/^(\.github|\.vscode|\.idea|test|tests|__tests__|docs?|examples?|benchmarks?|coverage|\.nyc_output)$/i.test(name) || !statSync(path).isDirectory();
}

/**
 * better-sqlite3 ships its C sources (deps/, src/) and node-gyp's intermediate files; at run
 * time it needs lib/ and the one compiled binary its `bindings` lookup finds.
 */
function sqliteFiles(from) {
  return (path) => {
    const rel = relative(from, path).split(sep).join("/");
    return (
      rel === "" ||
      rel === "package.json" ||
      /^licen[cs]e/i.test(rel) ||
      rel === "lib" ||
      rel.startsWith("lib/") ||
      "build/Release/better_sqlite3.node".startsWith(rel)
    );
  };
}

/** The production dependency tree, as npm resolved it in this checkout: each package's folder, relative to the root. */
function productionPackages() {
  const text = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return [...new Set(text.split("\n").filter(Boolean))].map((dir) => relative(root, dir)).filter((dir) => dir.startsWith("node_modules" + sep));
}

/** Copies one installed package (not its nested node_modules: those are packages of their own in the list). */
function copyPackage(stage, dir) {
  const from = join(root, dir);
  const isSqlite = basename(dir) === "better-sqlite3";
  const keep = isSqlite ? sqliteFiles(from) : shipped;
  cpSync(from, join(stage, dir), {
    recursive: true,
    dereference: true,
    filter: (path) => path === from || (!relative(from, path).split(sep).includes("node_modules") && keep(path)),
  });
}

/** The tools as the built server defines them: the manifest lists exactly these. */
async function toolList() {
  const { TOOLS } = await import(pathToFileURL(join(root, "dist", "tools", "index.js")).href);
  return TOOLS.map((tool) => ({ name: tool.name, description: tool.description }));
}

const nodeMajor = Number(process.versions.node.split(".")[0]);
const target = `${process.platform}-${process.arch}, Node ${nodeMajor} (ABI ${process.versions.modules})`;

function manifest(tools) {
  const repository = pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
  return {
    manifest_version: "0.3",
    name: pkg.name,
    display_name: "ecn-mcp",
    version: pkg.version,
    description:
      "Metered MCP tools: LLM drafting (OpenRouter), lead research (Apify) and free building-permit search, with every paid call held, capped and charged in a ledger.",
    long_description: [
      "ecn-mcp runs on your machine and keeps a ledger (a SQLite file in your user data folder) of every paid call: a hold for the worst case before the provider is called, the provider call capped to that hold, then a charge at the provider's real cost.",
      "",
      "- **self_host** (default): your own OpenRouter and Apify keys, you pay the providers directly, calls cost 0 credits; usage and budgets are still recorded and enforced.",
      "- **hosted**: calls are charged in credits to the organisation's wallet (grant credits with `ecn-mcp credits grant`).",
      "- **Sandbox**: built-in simulated providers and a ledger of its own, no keys and no money.",
      "",
      `This bundle was built for ${target}: it contains better-sqlite3's native binary for that platform and Node version only.`,
    ].join("\n"),
    author: { name: "ecn-mcp contributors", url: repository },
    repository: { type: "git", url: repository },
    homepage: repository,
    documentation: `${repository}/blob/main/docs/install.md`,
    support: `${repository}/issues`,
    icon: "icon.png",
    icons: [
      { src: "icon.png", size: "512x512" },
      { src: "icon-128.png", size: "128x128" },
    ],
    server: {
      type: "node",
      entry_point: "dist/cli/main.js",
      mcp_config: {
        command: "node",
        args: ["${__dirname}/dist/cli/main.js", "stdio"],
        env: {
          ECN_ORG: "${user_config.org}",
          ECN_DEPLOYMENT_MODE: "${user_config.deployment_mode}",
          OPENROUTER_API_KEY: "${user_config.openrouter_api_key}",
          APIFY_API_TOKEN: "${user_config.apify_api_token}",
          ECN_SANDBOX: "${user_config.sandbox}",
        },
      },
    },
    tools,
    tools_generated: false,
    keywords: pkg.keywords,
    license: pkg.license,
    privacy_policies: ["https://openrouter.ai/privacy", "https://docs.apify.com/legal/privacy-policy"],
    compatibility: {
      platforms: [process.platform],
      runtimes: { node: `>=${nodeMajor}.0.0 <${nodeMajor + 1}.0.0` },
    },
    // Optional settings default to "" so that an unset one reaches the server as an empty variable
    // (which it treats as unset), never as the literal "${user_config.…}" placeholder.
    user_config: {
      openrouter_api_key: {
        type: "string",
        title: "OpenRouter API key",
        description: "For the LLM tools (drafts, qualification, context packs). Leave empty to use them in the sandbox only.",
        sensitive: true,
        required: false,
        default: "",
      },
      apify_api_token: {
        type: "string",
        title: "Apify API token",
        description: "For lead_signal_fetch and lead_enrichment (paid Apify actor runs).",
        sensitive: true,
        required: false,
        default: "",
      },
      org: {
        type: "string",
        title: "Organisation",
        description: "The ledger organisation the calls are recorded for (created on first start).",
        required: false,
        default: "local",
      },
      deployment_mode: {
        type: "string",
        title: "Deployment mode",
        description:
          "self_host: you pay the providers with your own keys and calls cost 0 credits. hosted: calls are charged in credits to the organisation's wallet.",
        required: false,
        default: "self_host",
      },
      sandbox: {
        type: "boolean",
        title: "Sandbox",
        description: "Use built-in simulated providers and a separate sandbox ledger: no keys, no money.",
        required: false,
        default: false,
      },
    },
  };
}

const stage = mkdtempSync(join(tmpdir(), "ecn-mcpb-"));
try {
  cpSync(join(root, "dist"), join(stage, "dist"), { recursive: true, filter: (path) => !path.endsWith(".map") });
  cpSync(join(root, "drizzle"), join(stage, "drizzle"), { recursive: true, filter: (path) => !path.endsWith("_snapshot.json") });
  for (const file of ["README.md", "LICENSE"]) cpSync(join(root, file), join(stage, file));
  cpSync(join(root, "assets", "icon.png"), join(stage, "icon.png"));
  cpSync(join(root, "assets", "icon-128.png"), join(stage, "icon-128.png"));
  // The package.json the server runs with: it makes dist/ ES modules and names the version; no scripts, no dev dependencies.
  const { name, version, description, type, license, bin, main, engines, dependencies } = pkg;
  writeFileSync(join(stage, "package.json"), JSON.stringify({ name, version, description, type, license, bin, main, engines, dependencies }, null, 2) + "\n");
  for (const dir of productionPackages()) copyPackage(stage, dir);
  if (!existsSync(join(stage, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))) {
    throw new Error("node_modules/better-sqlite3/build/Release/better_sqlite3.node is missing: run `npm ci` (or `npm rebuild better-sqlite3`) first");
  }
  writeFileSync(join(stage, "manifest.json"), JSON.stringify(manifest(await toolList()), null, 2) + "\n");

  execFileSync(process.execPath, [mcpb, "validate", join(stage, "manifest.json")], { stdio: ["ignore", "inherit", "inherit"] });
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  execFileSync(process.execPath, [mcpb, "pack", stage, out], { stdio: ["ignore", "ignore", "inherit"] });
} finally {
  rmSync(stage, { recursive: true, force: true });
}

const bytes = readFileSync(out);
const sha256 = createHash("sha256").update(bytes).digest("hex");
if (values["server-json"]) {
  const file = join(root, "server.json");
  const server = JSON.parse(readFileSync(file, "utf8"));
  const entry = server.packages.find((p) => p.registryType === "mcpb");
  entry.version = pkg.version;
  // The release asset is named for the platform it serves: a bundle carries one native binary.
  entry.identifier = entry.identifier.replace(/\/v[^/]+\/[^/]+$/, `/v${pkg.version}/${pkg.name}-${process.platform}-${process.arch}.mcpb`);
  entry.fileSha256 = sha256;
  writeFileSync(file, JSON.stringify(server, null, 2) + "\n");
}
console.log(`${relative(process.cwd(), out) || out}: ${(bytes.length / 1024 / 1024).toFixed(1)} MB, sha256 ${sha256}, for ${target}`);
