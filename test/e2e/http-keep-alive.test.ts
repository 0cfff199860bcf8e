/**
 * Keep-alive behind a load balancer: the server never closes an idle
 * connection before its clients and proxies do (they close theirs at 60 s or
 * less), so a client that reuses a connection is answered instead of seeing
 * `socket hang up`; and a graceful stop still closes idle keep-alive
 * connections at once instead of waiting out their idle time.
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { serveHttp } from "../../src/server/http/serve.js";
import { silentLogger } from "../../src/log.js";
import { startHttpStack } from "../helpers/http-stack.js";
import { startInProcess } from "../helpers/in-process.js";

/** A raw HTTP/1.1 connection, to send requests on the same socket and see exactly what the server answers. */
class RawConnection {
  private buffer = "";
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.setEncoding("utf8");
    this.socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    this.socket.on("error", () => undefined); // a reset shows as `closed` before an answer
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends one GET and reads its whole answer (Content-Length framed); null if the connection closed first. */
  async get(path: string): Promise<{ status: number; headers: Record<string, string>; body: string } | null> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffer.slice(0, end).split("\r\n");
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
        const length = Number(headers["content-length"] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(statusLine!.split(" ")[1]), headers, body };
        }
      }
      if (this.closed) return null;
      await this.changed();
    }
  }

  /** Resolves when the server closes the connection. */
  async whenClosed(): Promise<void> {
    while (!this.closed) await this.changed();
  }
}

describe("HTTP keep-alive", () => {
  it("keeps an idle connection past Node's default 5 s, so a client reusing it after a pause is answered", async () => {
    const stack = await startHttpStack();
    const port = Number(new URL(stack.url).port);
    const connection = new RawConnection(port);
    const first = await connection.get("/healthz");
    expect(first?.status).toBe(200);
    // Clients and proxies read this hint: they drop an idle connection before the server does.
    expect(first?.headers["keep-alive"]).toBe("timeout=65");

    // The pause: as long as a server with Node's default keep-alive (the old behaviour) takes to drop its idle connection.
    const old: Server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => old.listen(0, "127.0.0.1", resolve));
    const oldConnection = new RawConnection((old.address() as AddressInfo).port);
    expect((await oldConnection.get("/"))?.status).toBe(200);
    await oldConnection.whenClosed();
    old.close();

    // The same connection to ecn-mcp, reused after that pause, is still open and answers.
    expect(connection.closed).toBe(false);
    const second = await connection.get("/healthz");
    expect(second?.status).toBe(200);
    expect(JSON.parse(second!.body)).toMatchObject({ status: "ok" });
    connection.socket.destroy();
  });

  it("sets keep-alive, headers and request timeouts for a server behind a load balancer, and still drains idle connections on stop", async () => {
    const stack = await startInProcess();
    const app = express();
    app.get("/ping", (_req, res) => res.json({ ok: true }));
    const running = await serveHttp({ app, host: "127.0.0.1", port: 0, metering: stack.metering, logger: silentLogger, close: async () => undefined });
    expect(running.server.keepAliveTimeout).toBe(65_000);
    // Headers may take longer than the idle time: a request arriving at the end of it must not be cut off.
    expect(running.server.headersTimeout).toBeGreaterThan(running.server.keepAliveTimeout);
    expect(running.server.requestTimeout).toBeGreaterThanOrEqual(running.server.headersTimeout);

    const connection = new RawConnection(Number(new URL(running.url).port));
    expect((await connection.get("/ping"))?.status).toBe(200);
    // An idle keep-alive connection does not hold the stop for 65 s: it is closed as the server stops.
    await Promise.all([running.stop("test"), connection.whenClosed()]);
    await running.stopped;
  });
});
