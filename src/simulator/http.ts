/** Small HTTP helpers shared by the loopback provider simulators. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** Reads a request body, undoing content-encoding (clients compress large bodies). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  switch (req.headers["content-encoding"]) {
    case "br":
      return brotliDecompressSync(raw);
    case "gzip":
      return gunzipSync(raw);
    case "deflate":
      return inflateSync(raw);
    default:
      return raw;
  }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  return JSON.parse(body.toString("utf8"));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits `ms`, or less if the client goes away first; says whether the client is still there. */
export function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => (res.off("close", onClose), resolve(!res.destroyed)), ms);
    const onClose = () => {
      if (res.writableFinished) return;
      clearTimeout(timer);
      resolve(false);
    };
    res.on("close", onClose);
  });
}

/** Waits until `until` resolves, or less if the client goes away first; says whether the client is still there. */
export function waitForUnlessClosed(res: ServerResponse, until: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      if (res.writableFinished) return;
      resolve(false);
    };
    res.on("close", onClose);
    void until.then(() => (res.off("close", onClose), resolve(!res.destroyed)));
  });
}

/**
 * A gate requests wait at while it is shut (`current`, null when open). `shut()` shuts it and
 * returns its release, which opens it unless a later `shut()` took over (that one stays shut).
 */
export class Gate {
  current: Promise<void> | null = null;

  shut(): () => void {
    let release!: () => void;
    const shut = new Promise<void>((resolve) => (release = resolve));
    this.current = shut;
    return () => {
      if (this.current === shut) this.current = null;
      release();
    };
  }
}

export interface LoopbackServer {
  server: Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 (an ephemeral port unless given). */
export async function listenLoopback(handler: Handler, port = 0): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    Promise.resolve(handler(req, res, url)).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: String(error) } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    origin: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
