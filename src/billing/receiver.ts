/**
 * A loopback listener for Stripe's webhook alone, for processes that serve
 * no HTTP of their own (the stdio sandbox, the demo): the same receipt as
 * `POST /api/v1/stripe/webhook`, on the raw body.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Billing } from "./billing.js";

export async function listenForStripe(billing: Billing): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/api/v1/stripe/webhook")
        return reply(404, { error: { code: "not_found", message: "POST /api/v1/stripe/webhook" } });
      const signature = typeof req.headers["stripe-signature"] === "string" ? req.headers["stripe-signature"] : undefined;
      billing.receiveStripeWebhook(Buffer.concat(chunks), signature).then(
        (answer) => reply(answer.status, answer.body),
        () => reply(500, { error: { code: "internal", message: "the event could not be applied; Stripe retries it" } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/stripe/webhook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
