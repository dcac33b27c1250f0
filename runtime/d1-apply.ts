import { DEFAULT_MIGRATIONS_TABLE, type D1Migration } from "../shared/d1-migrations.js";
import { splitSqlStatements } from "./d1-sql.js";

/** A migration that failed: its file and D1's error (the `cause`). */
export class D1MigrationError extends Error {
  override name = "D1MigrationError";
  /** The file's name, as it would be recorded. */
  readonly migration: string;
  constructor(message: string, migration: string, cause: unknown) {
    super(message, { cause });
    this.migration = migration;
  }
}

/** Where the migrations go, for messages and for the record. */
export interface MigrationTarget {
  /** The binding, for messages. */
  binding: string;
  /** The migrations folder, for messages ("migrations"); none for migrations given in code. */
  dir?: string;
  table?: string;
}

/**
 * Applies the migrations `db` has not recorded, in order, as `wrangler d1 migrations apply`
 * does: the table is created as wrangler creates it, each file runs in one batch (one
 * transaction) together with the INSERT that records its name, so a failing file leaves no
 * trace and the ones before it stay applied. Returns the names this call applied, calling
 * `onApplied` after each.
 *
 * Runs that start together (launchers sharing one dev server, each seeding) apply at the same
 * time. The INSERT comes first in its batch and the name is UNIQUE, so of two batches of one
 * file only the first commits: the other fails before any of the file's statements and, finding
 * the name recorded, moves on. A file is never applied twice, and never out of order.
 */
export async function applyMigrations(
  db: D1Database,
  migrations: readonly D1Migration[],
  target: MigrationTarget,
  onApplied?: (name: string) => void,
): Promise<string[]> {
  const table = quoteName(target.table ?? DEFAULT_MIGRATIONS_TABLE);
  // Wrangler's own definition, so that either tool can create the table the other reads.
  await db.batch([
    db.prepare(`CREATE TABLE IF NOT EXISTS ${table}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`),
  ]);
  const { results } = await db.prepare(`SELECT name FROM ${table} ORDER BY id`).all<{ name: string }>();
  const recorded = new Set(results.map((row) => row.name));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (recorded.has(migration.name)) continue;
    const where = target.dir === undefined ? migration.name : `${target.dir}/${migration.name}`;
    try {
      // The INSERT is appended to the file's text before it is split, as wrangler does (so the
      // statements are wrangler's, a file of comments only included), then sent first: it claims the file.
      const statements = splitSqlStatements(`${migration.sql}\nINSERT INTO ${table} (name)\nvalues (${quoteString(migration.name)});`);
      const record = statements.pop()!;
      await db.batch([record, ...statements].map((statement) => db.prepare(statement)));
    } catch (error) {
      if (await isRecorded(db, table, migration.name)) continue; // Another run applied it just now.
      throw new D1MigrationError(
        `Migration ${where} failed on ${target.binding}: ${causeMessage(error)}. Nothing of it was applied${applied.length ? `; the ${applied.length} before it stay applied` : ""}. Fix the file and apply again.`,
        migration.name,
        error,
      );
    }
    applied.push(migration.name);
    onApplied?.(migration.name);
  }
  return applied;
}

async function isRecorded(db: D1Database, table: string, name: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 FROM ${table} WHERE name = ?`).bind(name).first()) !== null;
}

/** D1 wraps SQLite's message in its own error; the innermost message says what went wrong. */
function causeMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return (current instanceof Error ? current.message : String(current)).replace(/\.$/, "");
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
