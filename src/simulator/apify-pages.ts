/**
 * What a search actor's dataset holds, as apify/google-search-scraper writes
 * it: ONE ITEM PER RESULTS PAGE, with `searchQuery {term, page, ...}` and the
 * page's results in `organicResults`, plus paid results and related queries.
 */

/** `count` results pages for the input's query; `debugRunId` adds the hidden field `clean` would drop. */
export function searchPages(input: unknown, count: number, pagesInRun: number, debugRunId: string | null): Record<string, unknown>[] {
  const query = searchQuery(input);
  const perPage = resultsPerPage(input);
  const slug =
    query
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "result";
  return Array.from({ length: count }, (_, page) => ({
    searchQuery: { term: query, page: page + 1, type: "SEARCH", countryCode: "us", languageCode: "en", resultsPerPage: perPage },
    url: `https://www.google.com/search?q=${encodeURIComponent(query)}&start=${page * perPage}`,
    hasNextPage: page + 1 < pagesInRun,
    organicResults: Array.from({ length: perPage }, (_, i) => {
      const position = page * perPage + i + 1;
      return {
        title: `Result ${position} for ${query}`,
        url: `https://example.com/${slug}/${position}`,
        displayedUrl: `example.com › ${slug}`,
        description: `A simulated search result about ${query} (position ${position}).`,
        position,
      };
    }),
    paidResults: [],
    relatedQueries: [{ title: `${query} near me`, url: `https://www.google.com/search?q=${encodeURIComponent(`${query} near me`)}` }],
    ...(debugRunId === null ? {} : { "#debug": { runId: debugRunId, page } }),
  }));
}

/** How many results pages a scraper input asks for (`maxPagesPerQuery`), if it says. */
export function pagesAsked(input: unknown): number | undefined {
  const pages = input && typeof input === "object" ? (input as Record<string, unknown>).maxPagesPerQuery : undefined;
  return typeof pages === "number" && Number.isInteger(pages) && pages >= 1 ? pages : undefined;
}

/** Results per page (`resultsPerPage`, 1-100; default 10). */
function resultsPerPage(input: unknown): number {
  const per = input && typeof input === "object" ? (input as Record<string, unknown>).resultsPerPage : undefined;
  return typeof per === "number" && Number.isInteger(per) && per >= 1 ? Math.min(per, 100) : 10;
}

/** The search terms of a scraper input: `queries` (newline-separated), `query` or `searchStringsArray`. */
function searchQuery(input: unknown): string {
  if (!input || typeof input !== "object") return "apify";
  const fields = input as Record<string, unknown>;
  const text = [
    fields.queries,
    fields.query,
    fields.search,
    ...(Array.isArray(fields.searchStringsArray) ? (fields.searchStringsArray as unknown[]) : []),
  ].find((value): value is string => typeof value === "string" && value.trim() !== "");
  return text ? (text.split("\n")[0] ?? text).trim() : "apify";
}
