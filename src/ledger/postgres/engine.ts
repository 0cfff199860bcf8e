/**
 * The PostgreSQL store: node-postgres (`pg`) with a pool. A write runs its
 * script inside BEGIN ... COMMIT on one pooled connection (READ COMMITTED,
 * with the row locks the scripts ask for); reads run on any connection.
 * Statements are prepared once per connection (named prepared statements).
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
import { run, runAsync, type Script, type Step } from "../script.js";
import { bind, compile, type Params, type Statement } from "../sql.js";
import { asLedgerFailure, DriverFailure, isConnectionFailure, isRetryableConflict } from "./errors.js";

/** Attempts for a write that met a deadlock or serialization failure. */
const CONFLICT_ATTEMPTS = 8;
/** Attempts to get a working connection before reporting the ledger unavailable. */
const CONNECT_ATTEMPTS = 3;
const BACKOFF_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  /** Queries and connections that failed, since start. */
  errors: number;
}

export class PostgresEngine implements Engine {
  readonly dialect = "postgres" as const;
  private failures = 0;

  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  get stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, errors: this.failures };
  }

  /** Runs one step on a connection (or the pool); driver errors come out as DriverFailure. */
  private async execute(on: pg.Pool | pg.PoolClient, step: Step): Promise<unknown> {
    const compiled = compile(step.statement, "postgres");
    const values = bind(step.statement, compiled, step.params).map((v) => (typeof v === "bigint" ? v.toString() : v));
    let result: pg.QueryResult;
    try {
      result = await on.query({ name: step.statement.name, text: compiled.text, values });
    } catch (error) {
      this.failures++;
      throw new DriverFailure(error);
    }
    if (step.op === "run") return result.rowCount ?? 0;
    if (step.op === "get") return result.rows[0] === undefined ? undefined : step.statement.decode(result.rows[0] as Record<string, unknown>);
    return (result.rows as Record<string, unknown>[]).map(step.statement.decode);
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

  async write<T>(script: () => Script<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      let committing = false;
      try {
        client = await this.connect();
        await this.run(client, "BEGIN");
        const connection = client;
        const result = await runAsync(script(), (step) => this.execute(connection, step));
        committing = true;
        await this.run(client, "COMMIT");
        client.release();
        return result;
      } catch (error) {
        const original = error instanceof DriverFailure ? error.original : undefined;
        const broken = original !== undefined && isConnectionFailure(original);
        if (client) {
          if (!broken) await client.query("ROLLBACK").catch(() => undefined);
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

  private async run(client: pg.PoolClient, command: string): Promise<void> {
    try {
      await client.query(command);
    } catch (error) {
      this.failures++;
      throw new DriverFailure(error);
    }
  }

  writeOne(statement: Statement<unknown>, params: Params): Promise<number> {
    // One statement is atomic in autocommit: no BEGIN/COMMIT round trips. Sending it again after a lost
    // connection is safe because such statements change nothing the second time (see Engine.writeOne).
    return this.read(() => run(statement, params));
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
