/**
 * The ledger's read cache: what every paid call would otherwise read from
 * the store (the API key, the rate card, the model prices), kept in memory
 * for a short time and dropped the moment the store says it changed.
 *
 * The rule: the cache serves only while it can hear every change. A change
 * feed tells it about changes made by other processes (PostgreSQL: LISTEN on
 * the channel every such write notifies in its own transaction; SQLite: the
 * file's change counter); this process's own writes drop their topic at
 * once. While the feed is not hearing (before it listens, after its
 * connection dropped, until it listens again) nothing is cached and every
 * read goes to the store. The TTL is a backstop for a change the feed could
 * not have reported (a connection that died silently).
 */

/** What the cache holds, by what changes it: API keys, rate cards, model prices (the list and the operator's). */
export type CacheTopic = "keys" | "rate_cards" | "prices";
export const CACHE_TOPICS: readonly CacheTopic[] = ["keys", "rate_cards", "prices"];

/** The PostgreSQL channel the writes notify and every server listens on; the payload is a CacheTopic. */
export const CHANGE_CHANNEL = "ecn_ledger_changes";

/** Where a feed reports what it hears. */
export interface FeedEvents {
  /** Another process changed this topic (null: anything may have changed). */
  changed(topic: CacheTopic | null): void;
  /** The feed now hears every change (true), or can no longer (false, with why). */
  hearing(on: boolean, reason: string): void;
}

/** How a store reports the changes other processes make. */
export interface ChangeFeed {
  /** Starts hearing (it may report `hearing(true)` later, after a retry); never throws. */
  start(events: FeedEvents): Promise<void>;
  /** Checked before each cached read by a store that has no push channel: reports changes through `changed`. */
  poll?(): void;
  close(): Promise<void>;
}

/** Entries kept at most: API keys are looked up by whatever token a caller sends, so the map must not grow without bound. */
const MAX_ENTRIES = 10_000;

interface Entry {
  value: unknown;
  expires: number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every change of a topic: a read that started before a change does not keep what it read. */
  private readonly generations = new Map<CacheTopic, number>(CACHE_TOPICS.map((t) => [t, 0]));
  private feed: ChangeFeed | null = null;
  private heard = false;
  /** What `note` was last told (null: nothing yet), so a feed retrying in an outage is logged once. */
  private noted: boolean | null = null;
  private ttlMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether reads are being served from memory now (a feed hears every change, and the TTL is not 0). */
  get serving(): boolean {
    return this.heard && this.ttlMs > 0;
  }

  /** Starts caching with this feed and TTL; `note` hears when caching stops and resumes (for the log). */
  async start(feed: ChangeFeed, ttlMs: number, note: (on: boolean, reason: string) => void): Promise<void> {
    this.ttlMs = ttlMs;
    this.feed = feed;
    await feed.start({
      changed: (topic) => this.changed(topic),
      hearing: (on, reason) => {
        // Whatever happened while not hearing is unknown: start from nothing either way.
        this.changed(null);
        this.heard = on;
        if (on !== this.noted) note(on, reason);
        this.noted = on;
      },
    });
  }

  /** The cached value of `key` in `topic`, or what `load` reads (kept when `keep` says so and no change came meanwhile). */
  async get<T>(topic: CacheTopic, key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    if (!this.serving) return load();
    this.feed?.poll?.();
    const id = `${topic}\u0000${key}`;
    const hit = this.entries.get(id);
    const now = this.now();
    if (hit && hit.expires > now) return hit.value as T;
    const generation = this.generations.get(topic)!;
    const value = await load();
    if (this.serving && this.generations.get(topic) === generation && keep(value)) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(id, { value, expires: now + this.ttlMs });
    }
    return value;
  }

  /** Drops a topic (null: everything), for a change made here or heard of. */
  changed(topic: CacheTopic | null): void {
    for (const t of topic ? [topic] : CACHE_TOPICS) this.generations.set(t, this.generations.get(t)! + 1);
    if (topic === null) this.entries.clear();
    else for (const id of this.entries.keys()) if (id.startsWith(`${topic}\u0000`)) this.entries.delete(id);
  }

  async close(): Promise<void> {
    this.heard = false;
    this.entries.clear();
    await this.feed?.close();
    this.feed = null;
  }
}
