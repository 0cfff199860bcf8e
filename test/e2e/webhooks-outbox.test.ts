/**
 * Outgoing webhooks and auto-recharge failures, on both stores: the outbox
 * delivers every event once, with its original id, after the receiver was
 * down for a while, and loses nothing when the server is killed mid-delivery;
 * URLs that point inside (loopback, link-local, private) are refused when
 * added and again when delivered; a declined recharge turns itself off and
 * says so, once.
 */
import { describe, expect, it } from "vitest";
import { spawnHttpServer } from "../helpers/http-stack.js";
import { startPaymentsStack, waitFor, webhookReceiver } from "../helpers/payments.js";
import { sqlRows } from "../helpers/store.js";

interface Delivered {
  id: string;
  type: string;
}
const parsed = (received: { id: string; body: string }[]): Delivered[] =>
  received.map((r) => ({ id: r.id, type: (JSON.parse(r.body) as { type: string }).type }));

describe("the webhook outbox", { timeout: 180_000 }, () => {
  it("delivers every event once, with its original id, after the endpoint was down for a while", async () => {
    let calls = 0;
    const receiver = await webhookReceiver(() => (++calls <= 6 ? 503 : 200));
    const stack = await startPaymentsStack();
    await stack.cli("webhook", "add", "--org", "acme", "--url", receiver.url);
    for (const credits of ["5", "6", "7"]) await stack.cli("credits", "grant", "--org", "acme", "--credits", credits);
    // The events since the endpoint was added (the stack's first grant came before it).
    const events = await sqlRows(stack.ledger, "SELECT event_id AS id FROM webhook_outbox ORDER BY created_at");
    expect(events).toHaveLength(3);
    await waitFor(() => receiver.received.length >= 3, 30_000);
    expect(calls).toBeGreaterThan(6); // it was refused first, then retried
    expect(
      parsed(receiver.received)
        .map((r) => r.id)
        .sort(),
    ).toEqual(events.map((e) => String(e.id)).sort());
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(3);
    // The sender marks a row delivered once the answer is back: a moment after the receiver saw it.
    const outbox = () => sqlRows(stack.ledger, "SELECT attempts, delivered_at, failed_at FROM webhook_outbox");
    await waitFor(async () => (await outbox()).every((r) => r.delivered_at !== null), 10_000);
    const rows = await outbox();
    expect(rows.every((r) => r.failed_at === null)).toBe(true);
    expect(rows.some((r) => Number(r.attempts as bigint) > 1)).toBe(true);
  });

  it("loses nothing when the server is killed mid-delivery: another instance sends it, same id", async () => {
    let up = false;
    const receiver = await webhookReceiver(() => (up ? 200 : "hang"));
    const stack = await startPaymentsStack({ env: { ECN_WEBHOOK_TIMEOUT_MS: "1000" } });
    await stack.cli("webhook", "add", "--org", "acme", "--url", receiver.url);
    await stack.cli("credits", "grant", "--org", "acme", "--credits", "5");
    await waitFor(() => receiver.hanging.length > 0, 30_000); // the server is sending, and waiting for an answer
    stack.proc.kill("SIGKILL");
    await stack.exited;
    up = true;
    const [event] = await sqlRows(stack.ledger, "SELECT event_id AS id FROM webhook_outbox");
    await spawnHttpServer(stack.providers.env); // a fresh instance takes the row once the dead one's lease runs out
    await waitFor(() => receiver.received.length > 0, 30_000);
    expect(parsed(receiver.received)).toEqual([{ id: String(event!.id), type: "credits.granted" }]);
    await waitFor(async () => (await sqlRows(stack.ledger, "SELECT 1 FROM webhook_outbox WHERE delivered_at IS NOT NULL")).length === 1, 10_000);
  });
});

describe("webhook URLs that point inside", { timeout: 120_000 }, () => {
  it("refuses loopback, link-local and private addresses when added, and again when delivering in production mode", async () => {
    const stack = await startPaymentsStack({ env: { ECN_WEBHOOK_ALLOW_LOOPBACK: "0" } });
    for (const url of [
      "http://127.0.0.1:9/hook",
      "https://127.0.0.1/hook",
      "https://localhost/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://10.1.2.3/hook",
      "https://172.16.5.4/hook",
      "https://192.168.0.10/hook",
      "https://100.64.0.1/hook",
      "https://[::1]/hook",
      "https://[fd00::1]/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "http://example.com/hook",
    ]) {
      const refused = await stack.cli("webhook", "add", "--org", "acme", "--url", url).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(refused, url).not.toBeNull();
      expect(refused!.stderr, url).toMatch(/invalid_input/);
    }
    expect(JSON.parse((await stack.cli("webhook", "list", "--json")).stdout)).toEqual([]);

    // An endpoint added where loopback was allowed is still refused by a server that does not allow it.
    const receiver = await webhookReceiver();
    const cli = (await import("../helpers/stack.js")).cliRunner({ ...stack.providers.env, ECN_WEBHOOK_ALLOW_LOOPBACK: "1" });
    await cli("webhook", "add", "--org", "acme", "--url", receiver.url);
    await stack.cli("credits", "grant", "--org", "acme", "--credits", "5");
    await waitFor(async () => (await sqlRows(stack.ledger, "SELECT last_error FROM webhook_outbox WHERE last_error IS NOT NULL")).length > 0, 20_000);
    const [row] = await sqlRows(stack.ledger, "SELECT last_error, delivered_at FROM webhook_outbox");
    expect(String(row!.last_error)).toMatch(/loopback|https/);
    expect(row!.delivered_at).toBeNull();
    expect(receiver.received).toEqual([]);
  });
});

describe("a declined auto-recharge", { timeout: 120_000 }, () => {
  it("turns auto-recharge off, sends recharge.failed once, and lists it in ecn-mcp alerts", async () => {
    const receiver = await webhookReceiver();
    const stack = await startPaymentsStack();
    await stack.cli("webhook", "add", "--org", "acme", "--url", receiver.url);
    await stack.buy("acme", "starter");
    await waitFor(async () => (await sqlRows(stack.ledger, "SELECT 1 FROM stripe_customers WHERE payment_method_id IS NOT NULL")).length === 1, 20_000);
    stack.stripe.state.offSessionFailure = { code: "card_declined", decline: "generic_decline" };
    // The balance (1001) already stands below the new threshold: the crossing is now.
    await stack.cli("recharge", "set", "--org", "acme", "--below", "5000", "--to", "6000", "--max-month-usd", "100");
    await waitFor(() => receiver.received.some((r) => r.body.includes("recharge.failed")), 20_000);
    const failed = parsed(receiver.received).filter((r) => r.type === "recharge.failed");
    expect(failed).toHaveLength(1);
    // Stripe's words stay in the server's log: the organisation reads ours, with Stripe's code and a reference.
    const body = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { message?: string } }).find((e) => e.type === "recharge.failed")!;
    expect(body.data.message).toMatch(/^Stripe declined the off-session charge \((HTTP 402, )?card_declined; reference perr_[0-9a-f]{8}\)$/);
    expect(JSON.stringify(body)).not.toContain("Your card was declined");
    const [rule] = await sqlRows(stack.ledger, "SELECT enabled, disabled_reason FROM recharge_rules");
    expect(rule).toMatchObject({ enabled: 0n, disabled_reason: expect.stringContaining("card_declined") as string });
    const alerts = JSON.parse((await stack.cli("alerts", "--org", "acme", "--json")).stdout) as { type: string; data: Record<string, unknown> }[];
    expect(alerts.find((a) => a.type === "recharge.failed")?.data).toMatchObject({ reason: "card_declined", auto_recharge: "off" });
    expect(stack.stripe.apiPaymentIntents()).toHaveLength(1);
    expect(await stack.balance("acme")).toBe(1001);
  });
});
