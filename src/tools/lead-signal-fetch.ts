/**
 * lead_signal_fetch: one capped run of the lead-signal Apify actor. The cap
 * (maxTotalChargeUsd) comes from the hold, progress is reported while the run
 * goes, cancelling the MCP request aborts the run, and a run that failed or
 * timed out is still charged what it cost.
 *
 * Google Search Scraper writes one dataset item per results PAGE (its
 * results in `organicResults`), and `maxItems` counts those pages; it caps
 * what the run is charged, not what it returns. So the run asks for the pages
 * `max_results` needs, and the answer is cut to `max_results` results.
 */
import { z } from "zod";
import { EcnError, providerFault } from "../errors.js";
import { stopWording } from "../failures.js";
import { creditsToMicroCeil, decimalFromNumber } from "../money.js";
import { idempotencyKeyOption, meteringSchema } from "./shared.js";
import { defineTool, PAID, paidCall, paidOutput, type WithNulls } from "./tool.js";
import { ICONS } from "./icons.js";

/** A JSON value the actor returned (its null fields are left out). */
const rawValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

const itemSchema = z.object({
  title: z.string().optional(),
  url: z.string().optional(),
  description: z.string().optional(),
  raw: z.record(z.string(), rawValue).describe("The search result as the actor returned it (fields it left null are left out)."),
});

type Item = WithNulls<z.output<typeof itemSchema>>;

const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : null);

/** Dataset items in one shape; search-result pages are flattened into their results. */
export function normaliseItems(items: Record<string, unknown>[], limit: number): Item[] {
  const flat = items.flatMap((item) =>
    Array.isArray(item.organicResults) ? (item.organicResults as Record<string, unknown>[]).filter((r) => r && typeof r === "object") : [item],
  );
  return flat.slice(0, limit).map((raw) => ({
    raw: raw as Item["raw"], // JSON from the actor; the server leaves its null fields out
    title: text(raw.title) ?? text(raw.name),
    url: text(raw.url) ?? text(raw.link) ?? text(raw.website),
    description: text(raw.description) ?? text(raw.snippet) ?? text(raw.text),
  }));
}

/** Results Google gives per page: the actor is asked for this many, so pages needed = ceil(max_results / 10). */
const RESULTS_PER_PAGE = 10;

export const leadSignalFetch = defineTool({
  name: "lead_signal_fetch",
  title: "Fetch lead signals (Apify)",
  description:
    "Runs the lead-signal Apify actor (web search by default) for your query and returns what it finds (title, URL, " +
    "description, raw item) with the run id. Reports progress while the run goes; cancelling aborts the run. " +
    "Supports MCP tasks: a client that asks for one gets it at once, and the run goes on if the connection drops. " +
    "Paid: the run's real Apify cost (usageTotalUsd) x markup; the run is capped at max_cost_credits (default: the rate card floor).",
  input: z.strictObject({
    query: z.string().trim().min(2).max(500).describe("What to look for, e.g. 'dental clinics Austin hiring front desk'."),
    max_results: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(20)
      .describe("Most results to return; the actor is asked for the results pages these need (10 results a page), and charges per page."),
    max_cost_credits: z
      .number()
      .positive()
      .max(100_000)
      .optional()
      .describe("Most credits the run may cost; the run is stopped by Apify at this cap. Default: the rate card floor."),
    idempotency_key: idempotencyKeyOption.optional(),
  }),
  output: z.object({
    items: z.array(itemSchema),
    run_id: z.string().describe("Apify run id."),
    status: z.string().describe("How the run ended."),
    metering: meteringSchema,
  }),
  annotations: { title: "Fetch lead signals (Apify)", ...PAID },
  icons: [ICONS.signal],
  // A run can take minutes: a client may ask for a task and fetch the result later, even from another connection.
  taskSupport: "optional",
  handler: async (args, context, deps) => {
    const { value, metering } = await deps.metering.runActor(
      {
        ...paidCall(context, "lead_signal_fetch", args),
        maxCostMicroCredits: args.max_cost_credits === undefined ? undefined : creditsToMicroCeil(decimalFromNumber(args.max_cost_credits)),
      },
      async (session) => {
        const pages = Math.ceil(args.max_results / RESULTS_PER_PAGE);
        await context.progress(0, `starting ${session.actorId} (cap $${session.maxTotalChargeUsd})`, pages);
        const run = await session.run(
          { queries: args.query, maxPagesPerQuery: pages, resultsPerPage: RESULTS_PER_PAGE },
          {
            maxItems: pages,
            onProgress: (p) => context.progress(Math.min(p.itemCount, pages), `${p.status}: ${p.itemCount} of ${pages} results pages so far`, pages),
          },
        );
        if (run.status !== "SUCCEEDED") {
          const why = run.status === "ABORTED" && context.signal.aborted ? stopWording(context.signal) : `ended ${run.status}`;
          // The run's status message is the actor's own text: the operator's log has it, under the reference shown.
          const { message, report } = providerFault("apify", `the Apify run ${run.runId} ${why}`, {}, run.statusMessage ?? undefined);
          throw new EcnError("provider_error", `${message}.`, {}, report);
        }
        return { items: normaliseItems(run.items, args.max_results), run_id: run.runId, status: run.status };
      },
    );
    return paidOutput(value, metering);
  },
});
