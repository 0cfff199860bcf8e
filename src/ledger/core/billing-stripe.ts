/**
 * Stripe events applied to the ledger, each in one transaction: the event id
 * is recorded first (a second delivery of it changes nothing), then the
 * grant, clawback or state change it carries. Grants are `credit_transactions`
 * rows keyed by the session (checkout) or PaymentIntent (recharge) in their
 * unique external_ref, so a purchase grants once whatever the number of
 * events and deliveries, on however many instances. Refunds and lost
 * disputes claw back the credits' share once per amount reached, whatever
 * order the events arrive in; the balance may go below zero.
 */
import { newId } from "../../ids.js";
import { microToCredits, microToCreditsText } from "../../money.js";
import { toCheckout } from "../billing-rows.js";
import type { StripeApplied, StripeCommand } from "../billing-types.js";
import { LedgerRefusal } from "../errors.js";
import { toWallet } from "../rows.js";
import { get, run, type Script } from "../script.js";
import { asBigInt, asNumber, p, statement } from "../sql.js";
import type { WalletRecord } from "../types.js";
import { emitEvent } from "./billing-events.js";
import { signalBalance } from "./billing-signals.js";
import { afterTopUp } from "./billing-watch.js";
import { disableRecharge } from "./billing-recharge.js";

const recordEvent = statement(
  "record_stripe_event",
  "INSERT INTO stripe_events (id, type, received_at) VALUES (@id, @type, @now) ON CONFLICT (id) DO NOTHING",
  { id: p.text, type: p.text, now: p.int },
);
const lockCheckout = statement("lock_checkout", "SELECT * FROM checkout_sessions WHERE id = @id", { id: p.text }, toCheckout, { forUpdate: true });
const completeCheckout = statement(
  "complete_checkout",
  "UPDATE checkout_sessions SET status = 'complete', session_id = @sessionId, payment_intent = @pi, completed_at = @now WHERE id = @id",
  { sessionId: p.text, pi: p.text, now: p.int, id: p.text },
);
const expireCheckout = statement("expire_checkout", "UPDATE checkout_sessions SET status = 'expired' WHERE id = @id AND status = 'open'", { id: p.text });
const lockAttempt = statement(
  "lock_recharge_attempt",
  "SELECT org_id, micro_credits, usd_cents, status FROM recharge_attempts WHERE id = @id",
  { id: p.text },
  (row) => ({ orgId: String(row.org_id), microCredits: asBigInt(row.micro_credits), usdCents: asNumber(row.usd_cents), status: String(row.status) }),
  { forUpdate: true },
);
const attemptSucceeded = statement(
  "recharge_attempt_succeeded",
  "UPDATE recharge_attempts SET status = 'succeeded', payment_intent = @pi, lease_until = NULL, updated_at = @now WHERE id = @id",
  { pi: p.text, now: p.int, id: p.text },
);
/** The grant, keyed by its Stripe reference: a second one for the same purchase inserts nothing. */
const insertPurchase = statement(
  "insert_purchase_grant",
  `INSERT INTO credit_transactions (id, org_id, kind, amount_micro_credits, tool_call_id, note, created_at, external_ref)
   VALUES (@id, @orgId, @kind, @amount, NULL, @note, @now, @ref)
   ON CONFLICT (external_ref) WHERE external_ref IS NOT NULL DO NOTHING`,
  { id: p.text, orgId: p.text, kind: p.text, amount: p.money, note: p.text, now: p.int, ref: p.text },
);
const credit = statement(
  "credit_wallet",
  `UPDATE wallets SET balance_micro_credits = balance_micro_credits + @amount, updated_at = @now WHERE org_id = @orgId
   RETURNING org_id, balance_micro_credits, held_micro_credits`,
  { amount: p.money, now: p.int, orgId: p.text },
  toWallet,
);
const insertPayment = statement(
  "insert_payment",
  `INSERT INTO payments (payment_intent, org_id, source, source_id, micro_credits, usd_cents, refunded_cents, disputed_cents,
     clawed_back_micro_credits, created_at)
   VALUES (@pi, @orgId, @source, @sourceId, @micro, @cents, 0, 0, 0, @now) ON CONFLICT (payment_intent) DO NOTHING`,
  { pi: p.text, orgId: p.text, source: p.text, sourceId: p.text, micro: p.money, cents: p.int, now: p.int },
);
const lockPayment = statement(
  "lock_payment",
  "SELECT * FROM payments WHERE payment_intent = @pi",
  { pi: p.text },
  (row) => ({
    orgId: String(row.org_id),
    microCredits: asBigInt(row.micro_credits),
    usdCents: asNumber(row.usd_cents),
    refundedCents: asNumber(row.refunded_cents),
    disputedCents: asNumber(row.disputed_cents),
    clawedBack: asBigInt(row.clawed_back_micro_credits),
  }),
  { forUpdate: true },
);
const updatePayment = statement(
  "update_payment_clawback",
  "UPDATE payments SET refunded_cents = @refunded, disputed_cents = @disputed, clawed_back_micro_credits = @clawed WHERE payment_intent = @pi",
  { refunded: p.int, disputed: p.int, clawed: p.money, pi: p.text },
);
const saveCard = statement("save_card", "UPDATE stripe_customers SET payment_method_id = @pm, updated_at = @now WHERE customer_id = @customerId", {
  pm: p.text,
  now: p.int,
  customerId: p.text,
});

interface Purchase {
  orgId: string;
  microCredits: bigint;
  usdCents: number;
  ref: string;
  paymentIntent: string;
  source: "checkout" | "recharge";
  sourceId: string;
  note: string;
  details: Record<string, unknown>;
}

/** Grants a purchase once: the grant row, the payment, the wallet, then alerts recover and the event goes out. */
function* grantPurchase(p: Purchase, now: number): Script<WalletRecord | null> {
  const inserted = yield* run(insertPurchase, { id: newId("ctx"), orgId: p.orgId, kind: "grant", amount: p.microCredits, note: p.note, now, ref: p.ref });
  if (inserted === 0) return null;
  yield* run(insertPayment, { pi: p.paymentIntent, orgId: p.orgId, source: p.source, sourceId: p.sourceId, micro: p.microCredits, cents: p.usdCents, now });
  const wallet = (yield* get(credit, { amount: p.microCredits, now, orgId: p.orgId }))!;
  yield* afterTopUp(p.orgId, p.microCredits, now);
  yield* emitEvent(
    p.orgId,
    "credits.granted",
    {
      credits: microToCredits(p.microCredits),
      usd: p.usdCents / 100,
      payment_intent: p.paymentIntent,
      balance_credits: microToCredits(wallet.balanceMicroCredits),
      ...p.details,
    },
    now,
  );
  return wallet;
}

export function* applyStripeEvent(eventId: string, type: string, command: StripeCommand, now: number): Script<StripeApplied> {
  if ((yield* run(recordEvent, { id: eventId, type, now })) === 0) return { kind: "duplicate" };
  switch (command.kind) {
    case "grant_checkout": {
      const checkout = yield* get(lockCheckout, { id: command.checkoutId });
      if (!checkout || (checkout.sessionId !== null && checkout.sessionId !== command.sessionId)) {
        throw new LedgerRefusal("not_found", `no checkout ${command.checkoutId} for Stripe session ${command.sessionId}`);
      }
      const wallet = yield* grantPurchase(
        {
          orgId: checkout.orgId,
          microCredits: checkout.microCredits,
          usdCents: checkout.usdCents,
          ref: command.sessionId,
          paymentIntent: command.paymentIntent,
          source: "checkout",
          sourceId: checkout.id,
          note: `Stripe Checkout ${command.sessionId}, pack ${checkout.pack}, payment ${command.paymentIntent}`,
          details: { source: "checkout", pack: checkout.pack, session_id: command.sessionId },
        },
        now,
      );
      if (wallet) yield* run(completeCheckout, { sessionId: command.sessionId, pi: command.paymentIntent, now, id: checkout.id });
      return { kind: "applied", granted: wallet ? { orgId: checkout.orgId, microCredits: checkout.microCredits, wallet } : null, signalled: [] };
    }
    case "grant_recharge": {
      const attempt = yield* get(lockAttempt, { id: command.attemptId });
      if (!attempt) throw new LedgerRefusal("not_found", `no recharge attempt ${command.attemptId} for PaymentIntent ${command.paymentIntent}`);
      const wallet = yield* grantPurchase(
        {
          orgId: attempt.orgId,
          microCredits: attempt.microCredits,
          usdCents: attempt.usdCents,
          ref: command.paymentIntent,
          paymentIntent: command.paymentIntent,
          source: "recharge",
          sourceId: command.attemptId,
          note: `Stripe auto-recharge ${command.attemptId}, payment ${command.paymentIntent}`,
          details: { source: "recharge", recharge_id: command.attemptId },
        },
        now,
      );
      if (wallet) yield* run(attemptSucceeded, { pi: command.paymentIntent, now, id: command.attemptId });
      return { kind: "applied", granted: wallet ? { orgId: attempt.orgId, microCredits: attempt.microCredits, wallet } : null, signalled: [] };
    }
    case "save_card":
      yield* run(saveCard, { pm: command.paymentMethodId, now, customerId: command.customerId });
      return { kind: "applied", granted: null, signalled: [] };
    case "clawback":
      return yield* clawback(command, now);
    case "recharge_failed": {
      const attempt = yield* get(lockAttempt, { id: command.attemptId });
      if (!attempt) throw new LedgerRefusal("not_found", `no recharge attempt ${command.attemptId}`);
      yield* disableRecharge(command.attemptId, attempt.orgId, command.paymentIntent, command.code, command.message, now);
      return { kind: "applied", granted: null, signalled: [] };
    }
    case "expire_checkout":
      yield* run(expireCheckout, { id: command.checkoutId });
      return { kind: "applied", granted: null, signalled: [] };
  }
}

/**
 * The credits a payment's refunds and lost disputes take back: its share of
 * the credits bought, rounded up, never more than were bought. Amounts only
 * grow (Stripe reports the running total refunded), so an older event
 * arriving late changes nothing.
 */
function* clawback(command: Extract<StripeCommand, { kind: "clawback" }>, now: number): Script<StripeApplied> {
  const payment = yield* get(lockPayment, { pi: command.paymentIntent });
  if (!payment) throw new LedgerRefusal("not_found", `no payment ${command.paymentIntent} granted credits here`);
  const refunded = Math.max(payment.refundedCents, command.refundedCents ?? 0);
  const disputed = Math.max(payment.disputedCents, command.disputedCents ?? 0);
  const lostCents = BigInt(Math.min(payment.usdCents, refunded + disputed));
  const share = payment.usdCents === 0 ? payment.microCredits : (payment.microCredits * lostCents + BigInt(payment.usdCents) - 1n) / BigInt(payment.usdCents);
  const target = share > payment.microCredits ? payment.microCredits : share;
  const due = target - payment.clawedBack;
  yield* run(updatePayment, { refunded, disputed, clawed: due > 0n ? target : payment.clawedBack, pi: command.paymentIntent });
  if (due > 0n) {
    const note = `Stripe ${command.disputedCents !== undefined ? "dispute lost" : "refund"} on payment ${command.paymentIntent}: ${microToCreditsText(due)} credits taken back`;
    yield* run(insertPurchase, {
      id: newId("ctx"),
      orgId: payment.orgId,
      kind: "adjustment",
      amount: -due,
      note,
      now,
      ref: `clawback:${command.paymentIntent}:${target}`,
    });
    yield* get(credit, { amount: -due, now, orgId: payment.orgId });
    // Taking credits back can cross an alert level like a spend does.
    if ((yield* run(signalBalance, { now, orgId: payment.orgId })) > 0) return { kind: "applied", granted: null, signalled: [payment.orgId] };
  }
  return { kind: "applied", granted: null, signalled: [] };
}
