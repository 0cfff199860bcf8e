/**
 * The SQLite store: better-sqlite3 is synchronous, so a script runs to its
 * end in one go. Writes run inside the group commit (many paid calls in
 * flight share one commit, each in its own savepoint); reads run directly.
 * Every statement is prepared once per connection.
 *
 * The event loop never waits for the disk: a commit only appends to the WAL
 * (synchronous = NORMAL) and is acknowledged after an fdatasync on libuv's
 * thread pool (durability.ts); checkpoints run on a worker thread
 * (checkpointer.ts). A read that may have seen a commit not yet on disk waits
 * for the flush before it answers.
 */
import type Database from "better-sqlite3";
import type { Engine } from "../engine.js";
import { touchHealth } from "../core/prices.js";
import { runSync, type Query, type Script } from "../script.js";
import { bind, compile, type AnyStatement, type Params, type RetryableStatement, type SqlValue } from "../sql.js";
import { SqliteChangeFeed } from "./changes.js";
import { Checkpointer, CHECKPOINT_DEFAULTS, type CheckpointOptions } from "./checkpointer.js";
import { WalDurability } from "./durability.js";
import { GroupCommit } from "./group-commit.js";
import { checkFileIntegrity } from "./open.js";

export class SqliteEngine implements Engine {
  readonly dialect = "sqlite" as const;
  readonly commits: GroupCommit;
  readonly durability: WalDurability;
  /** Null for a database without a WAL (in memory). */
  readonly checkpointer: Checkpointer | null;
  private readonly prepared = new Map<AnyStatement, Database.Statement>();

  constructor(
    readonly sqlite: Database.Database,
    checkpoints: CheckpointOptions = CHECKPOINT_DEFAULTS,
  ) {
    const wal = String(sqlite.pragma("journal_mode", { simple: true })) === "wal" && !sqlite.memory;
    const dataVersion = sqlite.prepare("PRAGMA data_version").pluck();
    this.durability = new WalDurability(wal ? `${sqlite.name}-wal` : null, () => BigInt(dataVersion.get() as bigint | number));
    this.commits = new GroupCommit(sqlite, this.durability);
    if (wal) {
      // Durability comes from the flush after each commit, checkpoints from the worker: see the files named above.
      sqlite.pragma("synchronous = NORMAL");
      sqlite.pragma("wal_autocheckpoint = 0");
      this.checkpointer = new Checkpointer(
        sqlite.name,
        compile(touchHealth, "sqlite").text,
        this.commits,
        () => sqlite.pragma("wal_autocheckpoint = 1000"),
        checkpoints,
      );
      this.commits.afterCommit = () => this.checkpointer?.afterCommit();
    } else this.checkpointer = null;
  }

  get location(): string {
    return this.sqlite.name;
  }

  private statement(statement: AnyStatement): Database.Statement {
    let prepared = this.prepared.get(statement);
    if (!prepared) {
      prepared = this.sqlite.prepare(compile(statement, "sqlite").text);
      this.prepared.set(statement, prepared);
    }
    return prepared;
  }

  /** Runs one statement of a script: prepared once, bound by name, its rows decoded. */
  private readonly execute = (step: Query): unknown => {
    const prepared = this.statement(step.statement);
    const names = compile(step.statement, "sqlite").params;
    const values = bind(step.statement, compile(step.statement, "sqlite"), step.params);
    const args: Record<string, SqlValue> = {};
    names.forEach((name, i) => (args[name] = values[i]!));
    const bound = names.length ? [args] : [];
    if (step.op === "run") return prepared.run(...bound).changes;
    if (step.op === "get") {
      const row = prepared.get(...bound) as Record<string, unknown> | undefined;
      return row === undefined ? undefined : step.statement.decode(row);
    }
    return (prepared.all(...bound) as Record<string, unknown>[]).map(step.statement.decode);
  };

  // Another process sees this write through the file's change counter (see changes.ts): nothing to send.
  write<T>(script: () => Script<T>): Promise<T> {
    return this.commits.run(() => runSync(script(), this.execute));
  }

  writeOne<P extends Params>(statement: RetryableStatement<unknown, P>, params: NoInfer<P>): Promise<number> {
    // SQLite never sends a statement twice; refusing here too keeps a wrongly cast statement from passing on one store only.
    if (!statement.retryable) return Promise.reject(new Error(`statement ${statement.name} is not safe to send twice: run it in a write`));
    return this.commits.run(() => this.execute({ op: "run", statement, params }) as number);
  }

  async read<T>(script: () => Script<T>): Promise<T> {
    const result = runSync(script(), this.execute);
    await this.durability.readable(); // what was read may be a commit not yet on disk: answer once it is
    return result;
  }

  async checkIntegrity(): Promise<string | null> {
    return checkFileIntegrity(this.sqlite.name);
  }

  changeFeed(): SqliteChangeFeed {
    return new SqliteChangeFeed(this.sqlite);
  }

  async close(): Promise<void> {
    if (!this.sqlite.open) return;
    await this.checkpointer?.close();
    await this.commits.flush();
    // A flush may still be running on the thread pool with the WAL's descriptor: wait for it before closing that.
    await this.durability.flushed().catch(() => undefined);
    this.sqlite.close();
    this.durability.close();
  }
}
