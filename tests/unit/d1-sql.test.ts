// How a migration file is cut into the statements of its batch: as wrangler d1 migrations apply
// cuts it (its splitter follows SQLite's sqlite3_complete), and how a file is applied and recorded.
import { describe, expect, test } from "vitest";
import { applyMigrations, D1MigrationError } from "../../runtime/d1-apply.js";
import { splitSqlStatements } from "../../runtime/d1-sql.js";

describe("splitSqlStatements", () => {
  test("one statement per ;, without it, blank and comment-only parts dropped", () => {
    expect(splitSqlStatements("CREATE TABLE a (x);\n-- a comment; with a semicolon\n;\nINSERT INTO a VALUES (1);\n")).toEqual([
      "CREATE TABLE a (x)",
      "INSERT INTO a VALUES (1)",
    ]);
  });

  test("a ; inside a string, a quoted name or a block comment ends nothing", () => {
    expect(splitSqlStatements(`INSERT INTO "a;b" VALUES ('x;y', [c;d], \`e;f\`); /* g; */ SELECT 1;`)).toEqual([
      `INSERT INTO "a;b" VALUES ('x;y', [c;d], \`e;f\`)`,
      "/* g; */ SELECT 1",
    ]);
  });

  test("a trigger's body is one statement, up to its END;", () => {
    const trigger = "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  DELETE FROM c;\nEND";
    expect(splitSqlStatements(`${trigger};\nSELECT 2;`)).toEqual([trigger, "SELECT 2"]);
    // EXPLAIN before CREATE still starts a trigger.
    expect(splitSqlStatements("EXPLAIN CREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT 1; END; SELECT 3;")).toEqual([
      "EXPLAIN CREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT 1; END",
      "SELECT 3",
    ]);
  });

  test("a text with no ; but at its end is sent whole, as it is", () => {
    expect(splitSqlStatements("  SELECT 1;  ")).toEqual(["  SELECT 1;  "]);
    expect(splitSqlStatements("SELECT 1")).toEqual(["SELECT 1"]);
  });

  test("what follows the last ; is sent if it holds SQL; an unclosed string or comment ends the text", () => {
    expect(splitSqlStatements("SELECT 1; SELECT 2")).toEqual(["SELECT 1", "SELECT 2"]);
    expect(splitSqlStatements("SELECT 1; -- the end")).toEqual(["SELECT 1"]);
    expect(splitSqlStatements("SELECT 1; SELECT 2 -- unclosed")).toEqual(["SELECT 1", "SELECT 2 -- unclosed"]);
    expect(splitSqlStatements("SELECT 1; SELECT 'open;")).toEqual(["SELECT 1", "SELECT 'open;"]);
  });

  test("one BEGIN TRANSACTION; … COMMIT; is dropped (the batch is the transaction); two are refused", () => {
    expect(splitSqlStatements("BEGIN TRANSACTION;\nCREATE TABLE a (x);\nCOMMIT;\nSELECT 1;")).toEqual(["CREATE TABLE a (x)", "SELECT 1"]);
    expect(() => splitSqlStatements("BEGIN TRANSACTION; SELECT 1; COMMIT; BEGIN TRANSACTION; SELECT 2; COMMIT;")).toThrow(
      /several transactions/,
    );
  });
});

/** A D1 stand-in that records what it is asked; `failOn` makes a batch holding that text reject. */
/**
 * A D1 binding that records the batches it runs. `recorded`: the names its table holds when
 * read; a batch that mentions `failOn` throws, and `recordedMeanwhile` are the names another
 * run recorded in the meantime (what the lookup after a failed batch finds).
 */
function fakeD1(recorded: string[], failOn?: string, recordedMeanwhile: string[] = []) {
  const batches: string[][] = [];
  const db = {
    prepare: (sql: string) => ({
      sql,
      all: async () => ({ results: recorded.map((name) => ({ name })) }),
      bind: (name: string) => ({ first: async () => (recordedMeanwhile.includes(name) ? { 1: 1 } : null) }),
    }),
    batch: async (statements: { sql: string }[]) => {
      const texts = statements.map((statement) => statement.sql);
      if (failOn !== undefined && texts.some((text) => text.includes(failOn))) {
        throw new Error("D1_ERROR: boom", { cause: new Error("no such table: missing: SQLITE_ERROR") });
      }
      batches.push(texts);
      return [];
    },
  };
  return { db: db as unknown as D1Database, batches };
}

describe("applyMigrations", () => {
  test("creates wrangler's table, skips what is recorded, runs each file in one batch after the INSERT that claims it", async () => {
    const { db, batches } = fakeD1(["0001_a.sql"]);
    const seen: string[] = [];
    const applied = await applyMigrations(
      db,
      [
        { name: "0001_a.sql", sql: "CREATE TABLE a (x);" },
        { name: "0002_it's.sql", sql: "CREATE TABLE b (x);\nCREATE TABLE c (x);" },
      ],
      { binding: "DB", dir: "migrations", table: 'my"table' },
      (name) => seen.push(name),
    );
    expect(applied).toEqual(["0002_it's.sql"]);
    expect(seen).toEqual(["0002_it's.sql"]);
    expect(batches).toEqual([
      [
        `CREATE TABLE IF NOT EXISTS "my""table"(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);`,
      ],
      [`INSERT INTO "my""table" (name)\nvalues ('0002_it''s.sql')`, "CREATE TABLE b (x)", "CREATE TABLE c (x)"],
    ]);
  });

  test("a failing file stops the run; the error names the file, the binding and SQLite's message", async () => {
    const { db, batches } = fakeD1([], "missing");
    const run = applyMigrations(
      db,
      [
        { name: "0001_ok.sql", sql: "CREATE TABLE a (x);" },
        { name: "0002_bad.sql", sql: "INSERT INTO missing VALUES (1);" },
        { name: "0003_after.sql", sql: "CREATE TABLE c (x);" },
      ],
      { binding: "DB", dir: "migrations" },
    );
    await expect(run).rejects.toThrow(
      new D1MigrationError(
        "Migration migrations/0002_bad.sql failed on DB: no such table: missing: SQLITE_ERROR. Nothing of it was applied; the 1 before it stay applied. Fix the file and apply again.",
        "0002_bad.sql",
        undefined,
      ),
    );
    expect(batches).toEqual([
      [expect.stringContaining('CREATE TABLE IF NOT EXISTS "d1_migrations"')],
      [`INSERT INTO "d1_migrations" (name)\nvalues ('0001_ok.sql')`, "CREATE TABLE a (x)"],
    ]);
  });

  test("a file of comments only (as `wrangler d1 migrations create` writes it) is recorded, as wrangler records it", async () => {
    const { db, batches } = fakeD1([]);
    const sql = "-- Migration number: 0001 \t 2026-12-01T00:00:00.000Z\n";
    expect(await applyMigrations(db, [{ name: "0001_empty.sql", sql }], { binding: "DB" })).toEqual(["0001_empty.sql"]);
    expect(batches.at(-1)).toEqual([`${sql}\nINSERT INTO "d1_migrations" (name)\nvalues ('0001_empty.sql');`]);
  });

  test("a file whose batch failed because another run recorded it meanwhile is skipped, not an error", async () => {
    const { db, batches } = fakeD1([], "CREATE TABLE a", ["0001_a.sql"]);
    const applied = await applyMigrations(
      db,
      [
        { name: "0001_a.sql", sql: "CREATE TABLE a (x);" },
        { name: "0002_b.sql", sql: "CREATE TABLE b (x);" },
      ],
      { binding: "DB", dir: "migrations" },
    );
    expect(applied).toEqual(["0002_b.sql"]);
    expect(batches.at(-1)).toEqual([`INSERT INTO "d1_migrations" (name)\nvalues ('0002_b.sql')`, "CREATE TABLE b (x)"]);
  });
});
