/**
 * The SQLite store: better-sqlite3 is synchronous, so a script runs to its
 * end in one go. Writes run inside the group commit (many paid calls in
 * flight share one durable commit, each in its own savepoint); reads run
 * directly. Every statement is prepared once per connection.
 */
import type Database from "better-sqlite3";
import type { Engine } from "../engine.js";
import { runSync, type Query, type Script } from "../script.js";
import { bind, compile, type AnyStatement, type Params, type RetryableStatement, type SqlValue } from "../sql.js";
import { SqliteChangeFeed } from "./changes.js";
import { GroupCommit } from "./group-commit.js";
import { checkFileIntegrity } from "./open.js";

export class SqliteEngine implements Engine {
  readonly dialect = "sqlite" as const;
  readonly commits: GroupCommit;
  private readonly prepared = new Map<AnyStatement, Database.Statement>();

  constructor(readonly sqlite: Database.Database) {
    this.commits = new GroupCommit(sqlite);
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
    return runSync(script(), this.execute);
  }

  async checkIntegrity(): Promise<string | null> {
    return checkFileIntegrity(this.sqlite.name);
  }

  changeFeed(): SqliteChangeFeed {
    return new SqliteChangeFeed(this.sqlite);
  }

  async close(): Promise<void> {
    if (!this.sqlite.open) return;
    this.commits.flush();
    this.sqlite.close();
  }
}
