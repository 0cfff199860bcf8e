/**
 * How a PostgreSQL server hears other instances' changes: a connection of
 * its own (outside the pool) that LISTENs on the change channel. Every write
 * of cached data sends pg_notify in its own transaction, and PostgreSQL
 * delivers it at COMMIT, so a listener hears of a revoke or a price change
 * in the time a notification takes to cross the network.
 *
 * When that connection drops, the feed reports that it no longer hears
 * (the cache then serves nothing), and connects and listens again with
 * backoff; once listening it reports hearing again (the cache starts empty).
 */
import type pg from "pg";
import { CACHE_TOPICS, CHANGE_CHANNEL, type CacheTopic, type ChangeFeed, type FeedEvents } from "../read-cache.js";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export class PostgresChangeFeed implements ChangeFeed {
  private client: pg.Client | null = null;
  private events: FeedEvents | null = null;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly connect: () => pg.Client) {}

  async start(events: FeedEvents): Promise<void> {
    this.events = events;
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = this.connect();
    client.on("error", (error) => this.lost(client, `the connection failed: ${error.message}`));
    client.on("end", () => this.lost(client, "the connection ended"));
    client.on("notification", (message) => {
      if (this.client !== client || message.channel !== CHANGE_CHANNEL) return;
      const topic = CACHE_TOPICS.find((t) => t === message.payload);
      this.events?.changed(topic ?? null);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      this.retry(`cannot listen for changes: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    this.events?.hearing(true, `listening on ${CHANGE_CHANNEL}`);
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.retry(reason);
  }

  private retry(reason: string): void {
    this.events?.hearing(false, reason);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.listen(), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    this.events = null;
    await client?.end().catch(() => undefined);
  }
}

/** The statement a write sends before its COMMIT to tell the listeners a topic changed. */
export function notifySql(topic: CacheTopic): string {
  // The topic is one of a fixed set of words, never caller input: safe to write into the statement.
  return `SELECT pg_notify('${CHANGE_CHANNEL}', '${topic}')`;
}
