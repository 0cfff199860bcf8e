/**
 * permit_search: building permits from four cities' Socrata open-data
 * portals. Free: no hold, no charge, one data_query_log row per query.
 */
import { z } from "zod";
import { describePermitFilters, PERMIT_CITIES, PERMIT_DATASETS } from "../metering/public-data.js";
import { defineTool, READ_ONLY } from "./tool.js";
import { ICONS } from "./icons.js";

const day = z.iso.date();

const rowSchema = z.object({
  permit_number: z.string().optional(),
  type: z.string().optional(),
  status: z.string().optional(),
  issued_date: z.string().optional().describe("YYYY-MM-DD."),
  address: z.string().optional(),
  cost: z.number().optional().describe("The declared or estimated cost in USD as the city publishes it (unverified), where the row has one."),
  description: z.string().optional(),
  raw: z.record(z.string(), z.string()).describe("The row exactly as the portal returned it (all values are strings)."),
});

export const permitSearch = defineTool({
  name: "permit_search",
  title: "Search building permits",
  // Each city's filters read different columns; saying which keeps a caller from reading more into a filter than it does.
  description:
    "Searches building permits on the open-data portals of Chicago, New York City, San Francisco and Austin: newest issued first, " +
    "filtered by issue date, permit type, minimum declared cost and free text (`text` searches the whole row). Rows are normalised " +
    "(number, type, status, issued date, address, cost, description) with the raw row and the source URL. Free. " +
    "A filter a city cannot apply is refused with invalid_input, never ignored. Per city: " +
    PERMIT_CITIES.map((city) => describePermitFilters(PERMIT_DATASETS[city])).join(" "),
  input: z.strictObject({
    city: z.enum(PERMIT_CITIES).describe("Which city's permits."),
    issued_since: day.optional().describe("First issue day to include (YYYY-MM-DD, a day in the city's local calendar)."),
    issued_until: day.optional().describe("Last issue day to include (YYYY-MM-DD, inclusive, a day in the city's local calendar)."),
    permit_type: z.string().trim().min(1).max(200).optional().describe("Part of the permit type, case-insensitive (e.g. 'new construction', 'electrical')."),
    min_cost: z
      .number()
      .nonnegative()
      .max(1e12)
      .optional()
      .describe("Minimum declared or estimated cost in USD, as the city publishes it (see the description for each city's column)."),
    text: z.string().trim().min(1).max(200).optional().describe("Free-text search over the whole permit (address, contractor, description...)."),
    limit: z.number().int().min(1).max(1_000).default(25).describe("Most rows to return."),
  }),
  output: z.object({
    rows: z.array(rowSchema),
    dataset: z.string().describe("The dataset that answered."),
    source_url: z.string().describe("The exact open-data request, to verify or reuse."),
  }),
  annotations: { title: "Search building permits", ...READ_ONLY, openWorldHint: true },
  icons: [ICONS.permits],
  handler: async (args, context, deps) => {
    const { city, ...filters } = args;
    const result = await deps.publicData.searchPermits(context.org, city, filters, context.signal);
    return { rows: result.rows, dataset: result.dataset, source_url: result.sourceUrl };
  },
});
