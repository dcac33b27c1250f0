/**
 * `vite-plugin-worker-run/d1`: applies D1 migrations inside the worker, through its binding, as
 * `wrangler d1 migrations apply --local` does (same files, order, table and names), so a seed can
 * make sure of its schema first. Runs inside workerd, so it imports nothing from Node or Vite:
 * the migration files reach it through the dev server, as a module workerRun() generates.
 */
import {
  D1_MIGRATIONS_MODULE_PREFIX,
  type D1Migration,
  type D1MigrationSet,
  type D1MigrationsData,
  type MigrateResult,
} from "../shared/d1-migrations.js";
import { applyMigrations } from "./d1-apply.js";

export { D1MigrationError } from "./d1-apply.js";
export type { D1Migration } from "../shared/d1-migrations.js";

/** Options of {@link applyD1Migrations}. */
export interface ApplyD1MigrationsOptions {
  /**
   * The binding `db` is, or its `database_name`, in the worker's Wrangler config: it picks the
   * `migrations_dir` and `migrations_table`. Needed only when the worker has several D1 databases.
   */
  binding?: string;
  /** Apply these instead of the files of the config's `migrations_dir` (in this order). */
  migrations?: readonly D1Migration[];
  /** With `migrations`: the table that records them. Default: `d1_migrations`. */
  table?: string;
}

/**
 * Applies the migrations of the worker's Wrangler config that `db` has not recorded yet, and
 * returns their names (empty when all are applied). A failing file throws a
 * {@link D1MigrationError} that names it; the files before it stay applied.
 *
 * ```ts
 * await applyD1Migrations(env.DB);                    // the worker's only D1 database
 * await applyD1Migrations(env.LOGS, { binding: "LOGS" }); // one of several
 * ```
 */
export async function applyD1Migrations(db: D1Database, options: ApplyD1MigrationsOptions = {}): Promise<string[]> {
  if (options.migrations) {
    // Given files need nothing from the dev server: this also works in a plain worker or a test.
    return applyMigrations(db, options.migrations, { binding: options.binding ?? "the database", table: options.table });
  }
  const data = await loadSets();
  const set = options.binding === undefined ? onlySet(data) : findSet(data, options.binding);
  if (typeof set === "string") throw new Error(set);
  if (!set) throw new Error(notD1Message(data, options.binding!, false));
  const files = usableFiles(data, set);
  if (typeof files === "string") throw new Error(files);
  return applyMigrations(db, files, set);
}

/**
 * What `worker-run --migrate [binding]` runs in the worker: the pending migrations of `binding`
 * (a binding or a `database_name`), or of every D1 binding, each applied file logged.
 */
export async function runMigrateCommand(env: Record<string, unknown>, binding: string | undefined, log: (line: string) => void): Promise<MigrateResult> {
  const data = await loadSets();
  let sets: D1MigrationSet[];
  if (binding === undefined) {
    if (data.databases.length === 0) {
      return { usage: `Worker "${data.worker}" has no D1 databases (d1_databases in ${configName(data)}), so there is nothing to migrate.` };
    }
    sets = data.databases;
  } else {
    const set = findSet(data, binding);
    if (!set) return { usage: notD1Message(data, binding, binding in env) };
    sets = [set];
  }
  // Every binding's folder is checked before anything runs, so a problem leaves all as it was.
  const plans: { set: D1MigrationSet; files: D1Migration[] }[] = [];
  for (const set of sets) {
    const files = usableFiles(data, set);
    if (typeof files === "string") {
      const others = data.databases.filter((other) => other !== set).map((other) => other.binding);
      return { usage: binding === undefined && others.length ? `${files} Or migrate the others alone: worker-run --migrate ${others[0]}.` : files };
    }
    plans.push({ set, files });
  }
  const applied: Record<string, string[]> = {};
  for (const { set, files } of plans) {
    const db = env[set.binding] as D1Database | undefined;
    if (typeof db?.batch !== "function") {
      return { usage: `The binding ${set.binding} of worker "${data.worker}" is not a D1 database in this dev server. Restart vite dev after changing ${configName(data)}.` };
    }
    applied[set.binding] = await applyMigrations(db, files, set, (name) => log(`Applied ${name} to ${set.binding}`));
  }
  return { applied };
}

/** The worker's D1 migrations, read by the dev server now (a new module each time). */
async function loadSets(): Promise<D1MigrationsData> {
  const id = `/@id/${D1_MIGRATIONS_MODULE_PREFIX}${crypto.randomUUID()}`;
  try {
    const module = (await import(/* @vite-ignore */ id)) as { default: D1MigrationsData };
    return module.default;
  } catch (error) {
    throw new Error(
      `The worker's D1 migrations come from worker-run's Vite plugin, and it did not answer (${error instanceof Error ? error.message : String(error)}). Run this inside vite dev with workerRun() in the Vite config (worker-run does), or pass { migrations }.`,
      { cause: error },
    );
  }
}

function findSet(data: D1MigrationsData, name: string): D1MigrationSet | undefined {
  return data.databases.find((set) => set.binding === name) ?? data.databases.find((set) => set.databaseName === name);
}

/** The worker's one D1 database, or a message that says why there is not exactly one. */
function onlySet(data: D1MigrationsData): D1MigrationSet | string {
  const [first, ...others] = data.databases;
  if (!first) return `Worker "${data.worker}" has no D1 databases (d1_databases in ${configName(data)}), so it has no migrations to apply.`;
  if (others.length) {
    const names = data.databases.map((set) => set.binding);
    return `Worker "${data.worker}" has ${names.length} D1 databases (${names.join(", ")}): say which one you pass, e.g. applyD1Migrations(env.${names[0]}, { binding: ${JSON.stringify(names[0])} }).`;
  }
  return first;
}

function notD1Message(data: D1MigrationsData, name: string, isBinding: boolean): string {
  const known = data.databases.map((set) => set.binding);
  const fix = known.length ? `Its D1 bindings: ${known.join(", ")}.` : `It has no D1 databases (d1_databases in ${configName(data)}).`;
  return isBinding
    ? `${name} is a binding of worker "${data.worker}", but not a D1 database, so it has no migrations. ${fix}`
    : `Worker "${data.worker}" has no D1 binding or database named ${JSON.stringify(name)}. ${fix}`;
}

/** The set's files, or why they cannot be applied. */
function usableFiles(data: D1MigrationsData, set: D1MigrationSet): D1Migration[] | string {
  if (set.problem) return set.problem;
  if (set.files) return set.files;
  return `No migrations folder for ${set.binding}: ${set.dir}/ does not exist. Create it with your .sql files (wrangler d1 migrations create ${set.binding} <message>), or set migrations_dir of ${set.binding} in ${configName(data)}.`;
}

function configName(data: D1MigrationsData): string {
  return data.configFile || "the Wrangler config";
}
