import type { MigrateResult } from "../shared/d1-migrations.js";
import { colors, formatDuration, formatSummary } from "./report.js";
import { runScript, type RunOutcome, type RunScriptOptions } from "./run-script.js";

/** Options of {@link migrateD1}: where to run, as for a script, and which binding. */
export interface MigrateD1Options extends Omit<RunScriptOptions, "script" | "eval" | "args" | "durableObject" | "migrate"> {
  /** The D1 binding (or its `database_name`) to migrate. Default: every D1 binding of the worker. */
  binding?: string;
}

/** The label `--migrate` runs under in status lines. */
const LABEL = "--migrate";

/**
 * `worker-run --migrate [binding]`: applies the worker's pending D1 migrations inside the dev
 * sandbox, through the binding, as `wrangler d1 migrations apply --local` records them. Each
 * applied file is a line of the run's stdout ("Applied 0001_init.sql to DB"). Resolves to the
 * outcome: the applied names by binding; exit 2 for a binding, folder or config it cannot use;
 * exit 1 for a failing file (the ones before it stay applied).
 */
export async function migrateD1(options: MigrateD1Options): Promise<RunOutcome> {
  const { binding, ...rest } = options;
  const outcome = await runScript({ ...rest, script: LABEL, migrate: binding === undefined ? {} : { binding } });
  if (!outcome.ok) {
    // A failing file's error is worker-run's own: its message says it all, the frames are ours.
    return outcome.kind === "run" && outcome.error.name === "D1MigrationError"
      ? { ...outcome, error: { name: outcome.error.name, message: outcome.error.message } }
      : outcome;
  }
  const result = outcome.result as MigrateResult;
  if ("usage" in result) {
    return { ok: false, exitCode: 2, kind: "usage", error: { name: "UsageError", message: result.usage }, durationMs: outcome.durationMs };
  }
  return outcome;
}

/** The closing status line of `--migrate`, for stderr: how many files it applied, to which bindings. */
export function formatMigrateSummary(outcome: RunOutcome): string {
  if (!outcome.ok) return formatSummary(LABEL, outcome);
  const { applied } = outcome.result as { applied: Record<string, string[]> };
  const took = outcome.durationMs === undefined ? "" : colors.dim(` in ${formatDuration(outcome.durationMs)}`);
  const counts = Object.entries(applied).map(([binding, names]) => `${binding}: ${names.length}`);
  const total = Object.values(applied).reduce((sum, names) => sum + names.length, 0);
  const what = total === 0 ? "no migrations to apply" : `${total} migration${total === 1 ? "" : "s"} applied`;
  return `${colors.green("✔")} ${LABEL}: ${what} (${counts.join(", ")})${took}`;
}
