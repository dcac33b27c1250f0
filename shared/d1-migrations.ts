/**
 * What the plugin tells the worker about its D1 migrations, and what `--migrate` answers. Both
 * sides include this file; it depends on nothing.
 */

/**
 * `/@id/${D1_MIGRATIONS_MODULE_PREFIX}<nonce>`: a module the plugin generates from the worker's
 * Wrangler config and its migration files, read when the module loads. Its default export is a
 * {@link D1MigrationsData}. A new nonce each time, so that a file added since the last call is seen.
 */
export const D1_MIGRATIONS_MODULE_PREFIX = "virtual:worker-run/d1-migrations/";

/**
 * `/@id/${MIGRATE_MODULE_PREFIX}<run id>/<encodeURIComponent(binding)>`: the script of
 * `worker-run --migrate [binding]` (an empty binding: every D1 binding). Its default export
 * returns a {@link MigrateResult}.
 */
export const MIGRATE_MODULE_PREFIX = "virtual:worker-run/migrate/";

/** The table wrangler records applied migrations in, unless `migrations_table` names another. */
export const DEFAULT_MIGRATIONS_TABLE = "d1_migrations";

/** One migration file: its name as wrangler records it, and its SQL. */
export interface D1Migration {
  name: string;
  sql: string;
}

/** The migrations of one D1 binding, as the worker's Wrangler config places them. */
export interface D1MigrationSet {
  binding: string;
  /** `database_name`, which wrangler also accepts in place of the binding. */
  databaseName?: string;
  /** `migrations_table`, or {@link DEFAULT_MIGRATIONS_TABLE}. */
  table: string;
  /** The migrations folder, relative to the project root, for messages. */
  dir: string;
  /** The `.sql` files in the order wrangler applies them; null when the folder does not exist. */
  files: D1Migration[] | null;
  /** Why these migrations cannot be applied here, when the config asks for what this package does not do. */
  problem?: string;
}

/** The default export of the {@link D1_MIGRATIONS_MODULE_PREFIX} module. */
export interface D1MigrationsData {
  /** The worker's Wrangler name. */
  worker: string;
  /** Its Wrangler config file, relative to the project root ("" for a config inline in the Vite config). */
  configFile: string;
  databases: D1MigrationSet[];
}

/**
 * What `--migrate` answers: the files it applied, by binding; or a usage problem (no such
 * binding, no migrations folder…), which the launcher reports with exit 2.
 */
export type MigrateResult = { applied: Record<string, string[]> } | { usage: string };
