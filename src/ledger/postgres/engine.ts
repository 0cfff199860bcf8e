/**
 * The PostgreSQL store: node-postgres (`pg`) with a pool. A write runs its
 * script inside BEGIN ... COMMIT on one pooled connection (READ COMMITTED,
 * with the row locks the scripts ask for); reads run on any connection.
 * Statements are prepared once per connection (named prepared statements).
 * Connections run in pipeline mode: BEGIN goes out with a transaction's
 * first statement, statements a script yields together go out in one flight,
 * and a closing batch carries the COMMIT, so a transaction holding an
 * organisation's wallet row keeps it locked for one round trip, not one per
 * statement (holding locks across round trips is what limits a busy
 * organisation's throughput). A statement that fails aborts the transaction
 * on the server, so the statements behind it and the COMMIT change nothing.
 *
 * Faults: a deadlock or serialization failure rolls the transaction back and
 * it runs again; a connection that is lost or refused before COMMIT is sent
 * is retried a few times with backoff (nothing can have been committed);
 * after that, or if the connection breaks during COMMIT (the outcome is then
 * unknown), the write fails with LedgerUnavailable and the caller reports
 * `ledger_unavailable`. The pool makes new connections by itself once the
 * server is back: no restart is needed.
 */
import type pg from "pg";
import type { Engine } from "../engine.js";
import type { CacheTopic } from "../read-cache.js";
import { notifySql, PostgresChangeFeed } from "./changes.js";
import { run, runAsync, type Query, type Script, type Step } from "../script.js";
import { bind, compile, type Params, type RetryableStatement } from "../sql.js";
import { asLedgerFailure, DriverFailure, isConnectionFailure, isRetryableConflict } from "./errors.js";

/** Attempts for a write that met a deadlock or serialization failure. */
const CONFLICT_ATTEMPTS = 8;
/** Attempts to get a working connection before reporting the ledger unavailable. */
const CONNECT_ATTEMPTS = 3;
const BACKOFF_MS = 100;

/**
 * The socket under a checked-out connection, to send a batch in one write.
 * node-postgres keeps it at `connection.stream` (undocumented but long
 * stable); without it a batch is still one flight, only in several writes.
 */
function socketOf(on: pg.Pool | pg.PoolClient): { cork(): void; uncork(): void } | undefined {
  const stream = (on as { connection?: { stream?: { cork?: unknown; uncork?: unknown } } }).connection?.stream;
  return typeof stream?.cork === "function" && typeof stream.uncork === "function" ? (stream as { cork(): void; uncork(): void }) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  /** Queries and connections that failed, since start. */
  errors: number;
  /**
   * Round trips to the database since start: each flight of statements sent
   * together and waited for (a BEGIN or COMMIT riding along counts nothing
   * more). Tests count a paid call's with it.
   */
  flights: number;
}

export class PostgresEngine implements Engine {
  readonly dialect = "postgres" as const;
  private failures = 0;
  private flights = 0;

  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
    /** A connection outside the pool, for LISTEN (see changes.ts). */
    private readonly listener: () => pg.Client,
  ) {}

  get stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, errors: this.failures, flights: this.flights };
  }

  /** Sends one statement on a connection (or the pool); its decoded result, or a DriverFailure. */
  private async send(on: pg.Pool | pg.PoolClient, query: Query): Promise<unknown> {
    const compiled = compile(query.statement, "postgres");
    const values = bind(query.statement, compiled, query.params).map((v) => (typeof v === "bigint" ? v.toString() : v));
    let result: pg.QueryResult;
    try {
      result = await on.query({ name: query.statement.name, text: compiled.text, values });
    } catch (error) {
      this.failures++;
      throw new DriverFailure(error);
    }
    if (query.op === "run") return result.rowCount ?? 0;
    if (query.op === "get") return result.rows[0] === undefined ? undefined : query.statement.decode(result.rows[0] as Record<string, unknown>);
    return (result.rows as Record<string, unknown>[]).map(query.statement.decode);
  }

  /** Sends a command without parameters (BEGIN, COMMIT); a DriverFailure when it fails. */
  private async command(client: pg.PoolClient, text: string): Promise<void> {
    try {
      await client.query(text);
    } catch (error) {
      this.failures++;
      throw new DriverFailure(error);
    }
  }

  /**
   * Runs one step of a script. A batch is sent in one flight, with what must
   * go out `before` it (a pending BEGIN) and `after` it (the COMMIT of a
   * closing batch); when several fail, the first is the cause (the rest
   * failed because the transaction was already aborted).
   */
  private async execute(on: pg.Pool | pg.PoolClient, step: Step, before?: Promise<void>, after?: () => Promise<void>): Promise<unknown> {
    const queries = step.op === "batch" ? step.queries : [step];
    this.flights++;
    const stream = socketOf(on);
    stream?.cork(); // the whole flight in one write: a write per statement costs a system call each
    let pending: Promise<unknown>[];
    try {
      pending = [...(before ? [before] : []), ...queries.map((query) => this.send(on, query)), ...(after ? [after()] : [])];
    } finally {
      stream?.uncork();
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    const first = before ? 1 : 0;
    const results = settled.slice(first, first + queries.length).map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value);
    return step.op === "batch" ? results : results[0];
  }

  private async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.failures++;
      throw new DriverFailure(error);
    }
    // A checked-out connection that dies emits "error"; unheard, that event would end the process. The query
    // in progress fails as well, which is where the failure is handled.
    if (client.listenerCount("error") === 0) client.on("error", () => this.failures++);
    return client;
  }

  async write<T>(script: () => Script<T>, changes?: CacheTopic): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      let committing = false;
      try {
        client = await this.connect();
        const connection = client;
        let begin: Promise<void> | undefined = this.command(connection, "BEGIN");
        begin.catch(() => undefined); // awaited with the first statement; a script that throws first never awaits it
        let committed = false;
        const commit = () => {
          committing = committed = true;
          if (!changes) return this.command(connection, "COMMIT");
          // The notification goes out with the COMMIT, in the same flight: delivered if, and only when, the change is committed.
          return Promise.all([this.command(connection, notifySql(changes)), this.command(connection, "COMMIT")]).then(() => undefined);
        };
        const result = await runAsync(script(), (step) => {
          const sent = this.execute(connection, step, begin, step.op === "batch" && step.closing ? commit : undefined);
          begin = undefined;
          return sent;
        });
        if (begin !== undefined) {
          this.flights++;
          await begin; // a script without a single statement
        }
        if (!committed) {
          this.flights++;
          await commit();
        }
        client.release();
        return result;
      } catch (error) {
        const original = error instanceof DriverFailure ? error.original : undefined;
        const broken = original !== undefined && isConnectionFailure(original);
        if (client) {
          if (!broken) {
            this.flights++;
            await client.query("ROLLBACK").catch(() => undefined);
          }
          client.release(broken ? (original as Error) : undefined);
        }
        if (original === undefined) throw error; // the script's own error (a refusal, a bug): rolled back, passed on
        if (isRetryableConflict(original) && attempt < CONFLICT_ATTEMPTS) continue;
        if (broken && !committing && attempt < CONNECT_ATTEMPTS) {
          await sleep(BACKOFF_MS * attempt);
          continue;
        }
        throw asLedgerFailure(original, this.location, committing);
      }
    }
  }

  writeOne<P extends Params>(statement: RetryableStatement<unknown, P>, params: NoInfer<P>): Promise<number> {
    // One statement is atomic in autocommit: no BEGIN/COMMIT round trips. Sending it again after a lost
    // connection is safe because such statements change nothing the second time (see idempotentStatement).
    if (!statement.retryable) return Promise.reject(new Error(`statement ${statement.name} is not safe to send twice: run it in a write`));
    return this.read(() => run(statement as RetryableStatement, params));
  }

  async read<T>(script: () => Script<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runAsync(script(), (step) => this.execute(this.pool, step));
      } catch (error) {
        if (!(error instanceof DriverFailure)) throw error;
        if (isConnectionFailure(error.original) && attempt < CONNECT_ATTEMPTS) {
          await sleep(BACKOFF_MS * attempt);
          continue;
        }
        throw asLedgerFailure(error.original, this.location);
      }
    }
  }

  changeFeed(): PostgresChangeFeed {
    return new PostgresChangeFeed(this.listener);
  }

  async checkIntegrity(): Promise<string | null> {
    try {
      await this.pool.query("SELECT 1");
      return null;
    } catch (error) {
      const failure = asLedgerFailure(error, this.location);
      return failure instanceof Error ? failure.message : String(failure);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
