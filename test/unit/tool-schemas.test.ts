/**
 * The published tool schemas as a strict client reads them (tools/list through
 * the SDK's client): no nullable types (a field that may be unknown is
 * optional), and the lead's "name or company" rule stated in the schema.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createServer } from "../../src/server/create-server.js";
import { publishedOutput } from "../../src/tools/tool.js";

async function listed(): Promise<Tool[]> {
  const server = createServer({
    logger: silentLogger,
    resolveOrg: async () => ({ id: "o", name: "o" }),
    metering: {} as never,
    accounts: {} as never,
    publicData: {} as never,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "schemas", version: "1.0.0" });
  await client.connect(clientSide);
  const { tools } = await client.listTools();
  await client.close();
  return tools;
}

describe("published tool schemas", () => {
  it("have no nullable types: a field that may be unknown is optional", async () => {
    for (const tool of await listed()) {
      expect(JSON.stringify(tool.outputSchema), tool.name).not.toMatch(/"null"/);
      expect(JSON.stringify(tool.inputSchema), tool.name).not.toMatch(/"null"/);
    }
  });

  it("state the lead's rule: at least a name or a company", async () => {
    const tools = await listed();
    for (const name of ["lead_enrichment", "lead_qualify", "outreach_draft"]) {
      const lead = (tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, { anyOf?: unknown }>).lead!;
      expect(lead.anyOf, name).toEqual([{ required: ["name"] }, { required: ["company"] }]);
    }
  });

  it("publish a result without its null fields, at any depth", () => {
    expect(publishedOutput({ a: null, b: 1, c: { d: null, e: "x" }, f: [{ g: null, h: 2 }] })).toEqual({ b: 1, c: { e: "x" }, f: [{ h: 2 }] });
  });
});
