/** The server's name and version as MCP clients see them (and `ecn-mcp --version` prints): no imports, so the CLI can show them without loading the server. */
export const SERVER_NAME = "ecn-mcp";
export const SERVER_VERSION = "0.1.0";
