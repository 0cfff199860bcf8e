// @ts-check
/**
 * A lean HTTP load generator: node:http with keep-alive, raw requests. On this
 * 2-core machine the generator shares the CPU with the servers it measures,
 * and the MCP SDK's HTTP client costs twice the CPU of its stdio client,
 * which would measure the client, not the server.
 */
import http from "node:http";
import { PROFILE } from "./load.mjs";

const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "profile_draft", arguments: PROFILE } });

/**
 * Requests to one origin over keep-alive connections (up to 256 at once).
 * @param {string} origin
 */
export function keepAlive(origin) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  /**
   * @param {string} method
   * @param {string} path
   * @param {Record<string, string | number>} headers
   * @param {string} [body]
   * @returns {Promise<{ status: number | undefined; text: string }>}
   */
  const request = (method, path, headers, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${origin}${path}`, { method, headers, agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/**
 * What a tools/call answer says: "ok", the error's code (the text before its first colon), or http_<status>.
 * @param {{ status: number | undefined; text: string }} response
 */
function outcome({ status, text }) {
  if (status !== 200) return `http_${status}`;
  const messages = text.trimStart().startsWith("{")
    ? [text]
    : text
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6));
  for (const message of messages) {
    /** @type {{ result?: { isError?: boolean; content?: { text?: string }[] } }} */
    const parsed = JSON.parse(message);
    if (parsed.result) return parsed.result.isError ? (parsed.result.content?.[0]?.text ?? "").split(":")[0] || "error" : "ok";
  }
  return "no_result";
}

/**
 * Paid calls (profile_draft as raw JSON-RPC) and wallet reads against an `ecn-mcp http` server, with an API key.
 * @param {string} url
 * @param {string} key
 */
export function leanClient(url, key) {
  const { request, close } = keepAlive(url);
  const headers = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "content-length": Buffer.byteLength(CALL),
  };
  return {
    /** A paid call; true when it was charged (the answer carries its metering block). */
    paid: async () => (await request("POST", "/mcp", headers, CALL)).text.includes('"metering"'),
    /** A paid call; "ok" or the error code a user would see. */
    paidOutcome: async () => outcome(await request("POST", "/mcp", headers, CALL)),
    /** A wallet read over the REST API; its HTTP status. */
    walletStatus: async () => (await request("GET", "/api/v1/credits/wallet/", { authorization: headers.authorization })).status,
    wallet: async () => (await request("GET", "/api/v1/credits/wallet/", { authorization: headers.authorization })).status === 200,
    close,
  };
}
