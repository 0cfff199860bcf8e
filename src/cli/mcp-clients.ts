/**
 * How each MCP client wants a stdio server described, and where it keeps
 * that description. The block names the very `node` and script that run this
 * command, by absolute path: a native module (better-sqlite3) built by one
 * Node version fails under another, and a client starts servers from its own
 * working directory with its own PATH.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export const MCP_CLIENTS = ["claude-desktop", "cursor", "vscode", "claude-code"] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export interface ServerEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The key the client's config file lists servers under, and the shape of one entry named `name`. */
export function clientBlock(client: McpClient, name: string, entry: ServerEntry): Record<string, Record<string, Record<string, unknown>>> {
  // VS Code lists servers under "servers", with an explicit type; the others use "mcpServers".
  if (client === "vscode") return { servers: { [name]: { type: "stdio", ...entry } } };
  return { mcpServers: { [name]: { ...entry } } };
}

/** The client's own configuration file, where --write puts the block. */
export function clientConfigPath(client: McpClient, env: { platform: NodeJS.Platform; appData: string | undefined; cwd: string }): string {
  const home = homedir();
  switch (client) {
    case "claude-desktop":
      if (env.platform === "darwin") return join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json");
      if (env.platform === "win32") return join(env.appData ?? join(home, "AppData", "Roaming"), "Claude", "claude_desktop_config.json");
      return join(home, ".config", "Claude", "claude_desktop_config.json");
    case "cursor":
      return join(home, ".cursor", "mcp.json");
    case "vscode":
      return join(env.cwd, ".vscode", "mcp.json"); // the workspace's servers
    case "claude-code":
      return join(home, ".claude.json"); // user scope: every project
  }
}
