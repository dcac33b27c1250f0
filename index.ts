/**
 * `vite-plugin-worker-run`: the Node side. The Vite plugin, and the launcher as a function.
 */
export { workerRun, type WorkerRunApi, type WorkerRunOptions } from "./plugin/plugin.js";
export { runScript, type RunScriptOptions, type RunOutcome } from "./launcher/run-script.js";
export { migrateD1, type MigrateD1Options } from "./launcher/migrate.js";
export type { ProgressReport } from "./shared/protocol.js";
