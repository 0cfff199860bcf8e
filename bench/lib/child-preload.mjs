// @ts-check
/**
 * Preloaded (node --import) into a third-party server the bench starts, such
 * as Portkey's gateway, which listens on every interface and has no option to
 * change that: every listen without a host binds 127.0.0.1 only (a listen on
 * another host fails), and the address is reported on stderr as
 * "listening on 127.0.0.1:<port>". The process also ends when the bench goes
 * away (its stdin closes) or after BENCH_CHILD_MAX_MS, whichever comes first.
 */
import net from "node:net";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const listen = net.Server.prototype.listen;

/** @this {net.Server} @param {any[]} args */
function loopbackListen(...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    // listen(port, [host], [backlog], [callback])
    if (args[1] === undefined || typeof args[1] === "function") args.splice(1, args[1] === undefined ? 1 : 0, "127.0.0.1");
    else if (typeof args[1] === "string" && !LOOPBACK.has(args[1])) throw new Error(`bench: refusing to listen on ${args[1]}`);
  } else if (args[0] && typeof args[0] === "object" && "port" in args[0]) {
    if (args[0].host === undefined) args[0] = { ...args[0], host: "127.0.0.1" };
    else if (!LOOPBACK.has(args[0].host)) throw new Error(`bench: refusing to listen on ${args[0].host}`);
  }
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object") process.stderr.write(`listening on ${address.address}:${address.port}\n`);
  });
  return listen.apply(this, /** @type {any} */ (args));
}
net.Server.prototype.listen = /** @type {any} */ (loopbackListen);

process.stdin.on("data", () => undefined);
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
const maxMs = Number(process.env.BENCH_CHILD_MAX_MS ?? 0);
if (maxMs > 0) setTimeout(() => process.exit(3), maxMs).unref();
