/**
 * What a journal holds, as JSON: its header (whose journal it is) and the
 * spooled outcomes, with every amount as a decimal string (money never
 * passes through a float). Decoding checks the shape, so a record that
 * passed its checksum but is not one of ours is reported, not applied.
 */
import { z } from "zod";
import type { UsageEventInput } from "../../ledger/index.js";
import type { SpooledOutcome } from "../../metering/types.js";

/** Whose journal this is: the server instance, the process (to tell whether it still runs), and the ledger it spools for. */
export interface JournalHeader {
  instance: string;
  host: string;
  pid: number;
  pidScope: string | null;
  pidStart: string | null;
  /** The ledger's location (a SQLite file, or a database's host and name): a journal is only ever replayed into its own ledger. */
  ledger: string;
  createdAt: number;
}

const integer = z
  .string()
  .regex(/^-?\d+$/)
  .transform((text) => BigInt(text));

const header = z.object({
  k: z.literal("journal"),
  v: z.literal(1),
  instance: z.string(),
  host: z.string(),
  pid: z.number().int(),
  pidScope: z.string().nullable(),
  pidStart: z.string().nullable(),
  ledger: z.string(),
  createdAt: z.number(),
});

const event = z.object({
  provider: z.enum(["openrouter", "apify"]),
  model: z.string().nullable(),
  providerRequestId: z.string().nullable(),
  outcome: z.enum(["ok", "failed"]),
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  totalTokens: z.number().int().nullable(),
  costNanoUsd: integer,
  costSource: z.enum(["reported", "lookup", "estimated", "none"]),
  markup: z.string(),
  creditUsdValue: z.string(),
  chargedMicroCredits: integer,
  meteredMicroCredits: integer,
  estimated: z.boolean(),
  priceUnknown: z.boolean(),
  createdAt: z.number(),
});

const failure = z.object({ code: z.string(), message: z.string() });

const outcome = z.discriminatedUnion("k", [
  z.object({ k: z.literal("ref"), call: z.string(), ref: z.string() }),
  z.object({
    k: z.literal("settle"),
    call: z.string(),
    events: z.array(event),
    result: z.union([z.object({ resultJson: z.string() }), z.object({ error: failure })]),
    now: z.number(),
  }),
  z.object({ k: z.literal("void"), call: z.string(), events: z.array(event), error: failure, now: z.number() }),
  z.object({ k: z.literal("unknown"), call: z.string(), code: z.string(), message: z.string() }),
]);

const json = (value: unknown) =>
  Buffer.from(
    JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    "utf8",
  );

export function encodeHeader(h: JournalHeader): Buffer {
  return json({ k: "journal", v: 1, ...h });
}

export function decodeHeader(payload: Buffer): JournalHeader | null {
  try {
    const parsed = header.safeParse(JSON.parse(payload.toString("utf8")));
    if (!parsed.success) return null;
    const { k: _k, v: _v, ...rest } = parsed.data;
    return rest;
  } catch {
    return null;
  }
}

export function encodeOutcome(o: SpooledOutcome): Buffer {
  switch (o.kind) {
    case "ref":
      return json({ k: "ref", call: o.callId, ref: o.ref });
    case "settle":
      return json({ k: "settle", call: o.callId, events: o.events, result: o.result, now: o.now });
    case "void":
      return json({ k: "void", call: o.callId, events: o.events, error: o.error, now: o.now });
    case "unknown":
      return json({ k: "unknown", call: o.callId, code: o.code, message: o.message });
  }
}

/** The outcome a record holds, or null when it is not a valid outcome record. */
export function decodeOutcome(payload: Buffer): SpooledOutcome | null {
  let parsed;
  try {
    parsed = outcome.safeParse(JSON.parse(payload.toString("utf8")));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  const r = parsed.data;
  const events = (list: z.output<typeof event>[]): UsageEventInput[] => list;
  switch (r.k) {
    case "ref":
      return { kind: "ref", callId: r.call, ref: r.ref };
    case "settle":
      return { kind: "settle", callId: r.call, events: events(r.events), result: r.result, now: r.now };
    case "void":
      return { kind: "void", callId: r.call, events: events(r.events), error: r.error, now: r.now };
    case "unknown":
      return { kind: "unknown", callId: r.call, code: r.code, message: r.message };
  }
}
