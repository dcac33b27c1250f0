import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_MIGRATIONS_TABLE, type D1MigrationSet } from "../shared/d1-migrations.js";
import type { D1DatabaseConfig } from "./workers.js";

/** Wrangler's default `migrations_dir`. */
const DEFAULT_MIGRATIONS_DIR = "migrations";

/**
 * The migrations of one D1 binding, read from disk now, placed as `wrangler d1 migrations apply`
 * places them: `migrations_dir` (default `migrations`) relative to the Wrangler config file's
 * folder (`root` for a config inline in the Vite config, which wrangler cannot read at all).
 */
export function readMigrationSet(database: D1DatabaseConfig, configPath: string | undefined, root: string): D1MigrationSet {
  const base = configPath === undefined ? root : path.dirname(configPath);
  const dir = path.resolve(base, database.migrations_dir ?? DEFAULT_MIGRATIONS_DIR);
  const set: D1MigrationSet = {
    binding: database.binding,
    ...(database.database_name === undefined ? {} : { databaseName: database.database_name }),
    table: database.migrations_table || DEFAULT_MIGRATIONS_TABLE,
    dir: path.relative(root, dir).replaceAll("\\", "/") || ".",
    files: null,
  };
  const pattern = database.migrations_pattern;
  if (pattern !== undefined && normalise(pattern) !== normalise(`${database.migrations_dir ?? DEFAULT_MIGRATIONS_DIR}/*.sql`)) {
    // Wrangler matches nested layouts (drizzle's */migration.sql) with a glob this package does not bundle.
    return {
      ...set,
      problem: `migrations_pattern "${pattern}" of ${database.binding} is not supported by worker-run yet: only the top-level .sql files of migrations_dir. Apply these with wrangler d1 migrations apply ${database.binding} --local.`,
    };
  }
  const names = listMigrationFiles(dir);
  return names === null ? set : { ...set, files: names.map((name) => ({ name, sql: readFileSync(path.join(dir, name), "utf8") })) };
}

/**
 * The names of the migration files in `dir`, in the order wrangler applies them; null when
 * `dir` does not exist. Like wrangler's default `migrations_pattern` (`<dir>/*.sql`): regular
 * files directly in it, named `*.sql`, not starting with a dot.
 */
export function listMigrationFiles(dir: string): string[] | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sql") && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(compareMigrationNames);
}

/**
 * Wrangler's order: by the number before the first `_` (`0002_x` before `0010_y`), a numbered
 * file before one without a number, and otherwise by the name's UTF-16 code units.
 */
export function compareMigrationNames(a: string, b: string): number {
  const numberA = leadingNumber(a);
  const numberB = leadingNumber(b);
  if (numberA !== numberB) {
    const finiteA = Number.isFinite(numberA);
    const finiteB = Number.isFinite(numberB);
    if (finiteA && finiteB) return numberA - numberB;
    if (finiteA) return -1;
    if (finiteB) return 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `parseInt` of what comes before the first `_`, as wrangler reads it (NaN when there is no number). */
function leadingNumber(name: string): number {
  return Number.parseInt(name.split("_")[0]!, 10);
}

function normalise(relative: string): string {
  return path.posix.normalize(relative.replaceAll("\\", "/")).replace(/\/$/, "");
}
