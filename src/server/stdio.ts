/**
 * The stdio transport: what Claude Desktop and other local MCP clients
 * launch. stdout carries only protocol messages; everything else goes to
 * stderr. When the client goes away (stdin ends) or a signal arrives, paid
 * calls in flight are given time to settle before the ledger closes. A
 * client that goes away leaves its task runs to finish first (it asked for
 * them to outlive it; a later session reads their results from the ledger);
 * a signal stops them at once, each charged what it cost.
 *
 * stdin is read through StdioInput (stdio-input.ts), which hands the SDK's
 * transport well-formed messages only: a line that is not JSON is answered
 * -32700, one that is not JSON-RPC -32600, and one over 10 MiB -32600 when it
 * is a request with an id; an oversized message nobody can be answered for
 * stops the server (exit code 1), so the client sees it end instead of
 * waiting on a server that no longer reads.
 *
 * What stdin carried while the server loaded (./stdio-prelude.ts) is read
 * first, as if it had just arrived; an answer the prelude gave already is
 * not sent twice.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { isDeepStrictEqual } from "node:util";
import { ErrorCode, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import type { Metering } from "../metering/meter.js";
import { isResponseShape } from "./sdk-internals.js";
import { MAX_MESSAGE_BYTES, StdioInput, type InputProblem } from "./stdio-input.js";
import { takeStdioPrelude, type PreludeHandover } from "./stdio-prelude.js";
import type { Tasks } from "../tasks/tasks.js";
import { SHUTDOWN, stopTaskRuns } from "./shutdown.js";

export interface StdioOptions {
  server: Server;
  metering: Metering;
  tasks?: Tasks | undefined;
  /** How long task runs may go on after the client went away. */
  taskGraceMs?: number;
  logger: Logger;
  /** Closes what the server holds (the ledger). */
  close: () => Promise<void>;
  drainTimeoutMs?: number;
  /** Called once the transport is connected: the client's requests are being read. */
  onConnected?: () => void;
}

/** How serving ended: the client left or a signal came, or stdin carried a message that could not be read or answered. */
export type StdioEnd = "stopped" | "unreadable_input";

const MIB = MAX_MESSAGE_BYTES / (1024 * 1024);

/** Serves MCP over this process's stdin/stdout until the client disconnects, a signal arrives, or stdin becomes unreadable. */
export async function serveStdio(options: StdioOptions): Promise<StdioEnd> {
  const { logger } = options;
  let finish: (reason: string, end: StdioEnd, clientGone?: boolean) => void = () => undefined;
  const input = new StdioInput((problem) => void answer(problem));
  // The input above keeps every line under the limit, so the SDK's own buffer check never fires.
  const transport = new StdioServerTransport(input.messages, process.stdout, { maxBufferSize: 2 * MAX_MESSAGE_BYTES + 2 });

  const reply = (id: RequestId | null, code: number, message: string) =>
    transport.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage).catch(() => undefined);

  async function answer(problem: InputProblem): Promise<void> {
    if (problem.kind === "not_json") {
      logger.warn("stdin: a message that is not JSON, answered -32700", { bytes: problem.bytes, reason: problem.reason });
      await reply(null, ErrorCode.ParseError, "Parse error: the message is not valid JSON");
    } else if (problem.kind === "not_jsonrpc") {
      logger.warn("stdin: JSON that is not a JSON-RPC 2.0 message, answered -32600", { bytes: problem.bytes, id: problem.id });
      await reply(problem.id, ErrorCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
    } else if (problem.request) {
      logger.error(`stdin: a request over the ${MIB} MiB message limit, answered -32600`, { bytes: problem.bytes, id: problem.id });
      await reply(
        problem.id,
        ErrorCode.InvalidRequest,
        `Invalid Request: the message is ${problem.bytes} bytes; this server reads messages of at most ${MIB} MiB`,
      );
    } else {
      logger.error(`stdin: a message over the ${MIB} MiB limit that names no request to answer; stopping, so the client sees the server end`, {
        bytes: problem.bytes,
      });
      finish("unreadable input", "unreadable_input");
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, clientGone = false) =>
    (stopping ??= (async () => {
      logger.info("stdio server stopping", { reason });
      // Nothing more is read: let go of stdin, or its open pipe would keep the process alive.
      process.stdin.off("data", onData);
      process.stdin.destroy();
      const { tasks } = options;
      if (clientGone && tasks && tasks.runningCount > 0) {
        logger.info("the client went away: letting its task runs finish first", { tasks: tasks.runningCount });
        await tasks.settled(options.taskGraceMs ?? 0);
      }
      const left = await stopTaskRuns(options, await options.metering.drain(options.drainTimeoutMs ?? 30_000));
      if (left > 0) logger.warn("paid calls still running at shutdown; reconcile will settle them", { left });
      await options.server.close().catch(() => undefined);
      await options.close();
    })());
  const onData = (chunk: Buffer) => input.push(chunk);
  await options.server.connect(transport);
  logger.info("stdio server ready");
  options.onConnected?.();
  return new Promise<StdioEnd>((resolve) => {
    finish = (reason, end, clientGone = false) => void stop(reason, clientGone).then(() => resolve(end));
    // A signal means the host wants this process gone soon (clients send SIGKILL a few seconds later): task runs
    // are stopped at once, so each still settles at what it cost, even while their client-gone wait is going.
    const signalled = (reason: string) => {
      if (options.tasks?.stopAll(SHUTDOWN)) logger.warn("task runs stopped by a signal, each charged what it cost", { reason });
      finish(reason, "stopped");
    };
    const ended = () => {
      input.end();
      finish("stdin closed", "stopped", true);
    };
    process.once("SIGTERM", () => signalled("SIGTERM"));
    process.once("SIGINT", () => signalled("SIGINT"));
    // What came while the server loaded is read first (it may end the server: `finish` is set), then stdin, in one
    // go: no chunk can arrive in between.
    const early = takeStdioPrelude();
    if (early) {
      skipAnswered(transport, early, logger);
      for (const chunk of early.chunks) input.push(chunk);
    }
    process.stdin.on("data", onData);
    if (early?.ended) ended();
    else process.stdin.once("end", ended);
  });
}

/** The SDK's answers to requests the prelude answered already are not sent again; one that differs is a bug, logged. */
function skipAnswered(transport: StdioServerTransport, early: PreludeHandover, logger: Logger): void {
  if (early.answered.size === 0) return;
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    const id = isResponseShape(message) ? message.id : undefined;
    if (id === undefined || id === null || !early.answered.has(id)) return send(message);
    const sent = early.answered.get(id);
    early.answered.delete(id);
    if ("result" in message && isDeepStrictEqual(asJson(message.result), asJson(sent)))
      logger.debug("answered before the server loaded, as the server answers", { id });
    else logger.error("the answer given before the server loaded differs from the server's own (a bug: please report it)", { id });
  };
}

/** A value as it goes over the wire (no undefined fields). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
