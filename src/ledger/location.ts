/** Where a ledger is, as it may be shown: light enough for any verb to load (no driver, no schema). */

/** The URL as it may be shown: without its password. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparseable database URL)";
  }
}
