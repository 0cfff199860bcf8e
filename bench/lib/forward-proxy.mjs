// @ts-check
/**
 * The fallback gateway when Portkey cannot run: a plain forwarding proxy
 * (node:http, keep-alive upstream) that relays POST /v1/<path> to the base
 * URL given as its argument, headers and body as they came. It does what any
 * gateway must do and nothing more, so it is a floor, not a product.
 * Started with child-preload.mjs, which binds it to 127.0.0.1.
 */
import http from "node:http";

const upstream = new URL(process.argv[2] ?? "");
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding"]);

http
  .createServer((req, res) => {
    if (req.method !== "POST" || !req.url?.startsWith("/v1/")) return void res.writeHead(404).end();
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP.has(name) && !name.startsWith("x-portkey-")));
    const out = http.request(new URL(upstream.pathname.replace(/\/$/, "") + req.url.slice(3), upstream), { method: "POST", headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP.has(name))));
      answer.pipe(res);
    });
    out.on("error", () => res.writeHead(502).end());
    req.pipe(out);
  })
  .listen(0);
