/**
 * The published tool schemas as a strict client reads them (tools/list through
 * the SDK's client): JSON Schema 2020-12 (MCP's default dialect, so no draft-07
 * `$schema`), each compiling under Ajv2020's strict mode, no nullable types (a
 * field that may be unknown is optional), and the lead's "name or company"
 * rule stated in the schema.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
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

  it("are JSON Schema 2020-12 that Ajv2020 compiles in strict mode, every input and output schema", async () => {
    const tools = await listed();
    expect(tools.length).toBeGreaterThan(10);
    for (const tool of tools) {
      for (const [kind, schema] of [
        ["input", tool.inputSchema],
        ["output", tool.outputSchema],
      ] as const) {
        expect(schema, `${tool.name} ${kind}`).toBeDefined();
        // No dialect named means MCP's default, 2020-12; a draft-07 $schema would say otherwise.
        expect(schema, `${tool.name} ${kind}`).not.toHaveProperty("$schema");
        const ajv = new Ajv2020({ strict: true, allErrors: true });
        addFormats.default(ajv);
        expect(() => ajv.compile(schema!), `${tool.name} ${kind}`).not.toThrow();
      }
    }
  });

  it("state the lead's rule: at least a name or a company, and hold callers to it", async () => {
    const tools = await listed();
    for (const name of ["lead_enrichment", "lead_qualify", "outreach_draft"]) {
      const schema = tools.find((t) => t.name === name)!.inputSchema;
      const lead = (schema.properties as Record<string, { anyOf?: unknown }>).lead!;
      expect(lead.anyOf, name).toEqual([
        { properties: { name: true }, required: ["name"] },
        { properties: { company: true }, required: ["company"] },
      ]);
      const ajv = new Ajv2020({ strict: true });
      addFormats.default(ajv);
      const validLead = ajv.compile(lead);
      expect([{ name: "Dana Lee" }, { company: "Acme" }, { name: "Dana", company: "Acme" }].map((l) => validLead(l))).toEqual([true, true, true]);
      expect(validLead({ title: "CTO" }), name).toBe(false);
    }
  });

  it("publish a result without its null fields, at any depth", () => {
    expect(publishedOutput({ a: null, b: 1, c: { d: null, e: "x" }, f: [{ g: null, h: 2 }] })).toEqual({ b: 1, c: { e: "x" }, f: [{ h: 2 }] });
  });
});
