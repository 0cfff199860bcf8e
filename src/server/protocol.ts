/**
 * JSON-RPC errors the way clients expect them. The SDK renders a thrown
 * McpError's message with its own "MCP error -32602:" prefix and the client
 * adds another, so our errors carry the code and a plain message instead. And
 * a request whose params do not match the method's schema is invalid params
 * (-32602) with a readable message, not an internal error with a raw
 * validation dump, which is what the SDK answers by default.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";

/** An error answered as a JSON-RPC error with this code and message, as they are (and `data`, if given). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface ValidationIssue {
  path?: PropertyKey[];
  message?: string;
}

function isValidationError(error: unknown): error is { issues: ValidationIssue[] } {
  // The SDK validates with zod core, whose errors are named $ZodError.
  return error instanceof Error && /^\$?ZodError$/.test(error.name) && Array.isArray((error as { issues?: unknown }).issues);
}

/** `params.name: expected string, received number; ...` */
function describeIssues(issues: ValidationIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path?.length ? issue.path.map(String).join(".") : "(the request)"}: ${issue.message ?? "invalid"}`)
    .join("; ");
}

type Handler = (request: { method: string }, extra: unknown) => Promise<unknown>;

/** Makes every request handler of `server` answer a params validation failure as -32602 with a readable message. */
export function answerInvalidParams(server: Server): void {
  // The handler table is the SDK's own (not public API); the SDK validates params inside each entry.
  const handlers = (server as unknown as { _requestHandlers: Map<string, Handler> })._requestHandlers;
  for (const [method, handler] of handlers) {
    handlers.set(method, async (request, extra) => {
      try {
        return await handler(request, extra);
      } catch (error) {
        if (!isValidationError(error)) throw error;
        throw new ProtocolError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${describeIssues(error.issues)}`);
      }
    });
  }
}
