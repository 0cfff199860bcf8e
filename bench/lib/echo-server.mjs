// @ts-check
// The floor: a bare MCP SDK stdio server with one echo tool, no metering, no ledger.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "echo", version: "1.0.0" });
server.registerTool("echo", { description: "echo", inputSchema: { text: z.string() } }, async ({ text }) => ({
  content: [{ type: "text", text }],
  structuredContent: { text },
}));
await server.connect(new StdioServerTransport());
