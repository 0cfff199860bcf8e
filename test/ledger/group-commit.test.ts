/** The group commit: shared durable commits, isolated failures, acknowledgement only after the commit. */
import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/ledger/sqlite/group-commit.js";
import { tempDir } from "../helpers/temp-ledger.js";

function database() {
  const db = new Database(join(tempDir(), "gc.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)");
  return db;
}

describe("group commit", () => {
  it("commits writes issued together in one transaction, each resolving with its own result", async () => {
    const db = database();
    const commits = new GroupCommit(db);
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const results = await Promise.all([1, 2, 3, 4, 5].map((v) => commits.run(() => insert.run(v).changes)));
    expect(results).toEqual([1, 1, 1, 1, 1]);
    expect(commits.stats).toEqual({ commits: 1, writes: 5 });
    expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 5 });
  });

  it("rolls back only the write that failed; the others in its batch commit", async () => {
    const db = database();
    const commits = new GroupCommit(db);
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run(1)),
      commits.run(() => {
        insert.run(2);
        insert.run(1); // violates UNIQUE: this write's own insert of 2 must roll back too
      }),
      commits.run(() => insert.run(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(db.prepare("SELECT v FROM t ORDER BY v").all()).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it("acknowledges nothing before the commit: a write is not visible to another connection until its promise resolves", async () => {
    const db = database();
    const other = new Database(db.name, { readonly: true });
    const commits = new GroupCommit(db);
    const pending = commits.run(() => db.prepare("INSERT INTO t (v) VALUES (7)").run());
    expect(other.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
    await pending;
    expect(other.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 1 });
    other.close();
  });
});
