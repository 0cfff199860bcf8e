/** What the demo asks the server to do, in order: one step per product capability. */
export const DEMO_ORG = "demo";
export const DEMO_CREDITS = "100";

export const DEMO_STEPS = [
  {
    title: "Draft a business profile (LLM via OpenRouter)",
    tool: "profile_draft",
    args: {
      business_name: "Northwind Roofing",
      notes: "Family-run roofing contractor in Austin since 1998; residential re-roofs and hail repair; plain-spoken and friendly.",
      facts: ["Licensed and insured in Texas", "Free inspections within 48 hours"],
    },
  },
  {
    title: "Qualify a lead (LLM, structured score)",
    tool: "lead_qualify",
    args: {
      lead: { name: "Dana Lee", title: "Facilities Manager", company: "Acme Apartments", location: "Austin, TX" },
      ideal_customer: "Property managers of multi-family buildings in Central Texas with roofs older than 15 years",
    },
  },
  {
    title: "Fetch lead signals (paid Apify actor run, with progress)",
    tool: "lead_signal_fetch",
    args: { query: "apartment complexes Austin roof replacement", max_results: 20 },
  },
  {
    title: "Search building permits (free public data, Socrata)",
    tool: "permit_search",
    args: { city: "austin", permit_type: "building", issued_since: "2024-01-01", limit: 5 },
  },
] as const;

/** The refusal step: a hard daily budget too small for the call's hold. */
export const OVER_BUDGET_STEP = {
  title: "Over budget: outreach_draft with a 0.1-credit daily budget",
  tool: "outreach_draft",
  budgetCredits: "0.1",
  args: {
    lead: { name: "Dana Lee", company: "Acme Apartments" },
    offer: "Free roof inspection with a same-week written report",
  },
} as const;
