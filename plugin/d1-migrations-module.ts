import path from "node:path";
import type { EnvironmentModuleGraph } from "vite";
import { RUN_ID_RE } from "../shared/protocol.js";
import { D1_MIGRATIONS_MODULE_PREFIX, type D1MigrationsData } from "../shared/d1-migrations.js";
import { readMigrationSet } from "./d1-migration-files.js";
import { forgetModule } from "./run-modules.js";
import type { WorkerInfo } from "./workers.js";

/**
 * The modules through which a worker learns its D1 migrations (see D1_MIGRATIONS_MODULE_PREFIX):
 * generated on load from the worker's Wrangler config and the migration files as they are on
 * disk then. Each call of the runtime imports a new one, so nothing is cached; the loaded ones
 * leave the module graph once a run ends.
 */
export interface D1MigrationsModules {
  /** The resolved id of `<prefix><nonce>`, or undefined for a malformed nonce. */
  resolve(source: string): string | undefined;
  /** The code of the module `id` for the worker `worker` (undefined when the plugin does not know it). */
  load(id: string, worker: WorkerInfo | undefined, root: string): string;
  /** Drops the modules loaded so far from the graphs. */
  forgetLoaded(graphs: Iterable<EnvironmentModuleGraph>): void;
}

/** Resolved ids of these modules start with this. */
export const RESOLVED_D1_MIGRATIONS_PREFIX = `\0${D1_MIGRATIONS_MODULE_PREFIX}`;

export function createD1MigrationsModules(): D1MigrationsModules {
  const loaded = new Set<string>();
  return {
    resolve(source) {
      const nonce = source.slice(D1_MIGRATIONS_MODULE_PREFIX.length);
      return RUN_ID_RE.test(nonce) ? `${RESOLVED_D1_MIGRATIONS_PREFIX}${nonce}` : undefined;
    },
    load(id, worker, root) {
      loaded.add(id);
      const data: D1MigrationsData = {
        worker: worker?.name ?? "",
        configFile: worker?.configPath === undefined ? "" : path.relative(root, worker.configPath).replaceAll("\\", "/"),
        databases: (worker?.d1Databases ?? []).map((database) => readMigrationSet(database, worker?.configPath, root)),
      };
      return `export default ${JSON.stringify(data)};\n`;
    },
    forgetLoaded(graphs) {
      const ids = [...loaded];
      loaded.clear();
      for (const graph of graphs) for (const id of ids) forgetModule(graph, id);
    },
  };
}

/**
 * The module of `worker-run --migrate [binding]` (empty: every D1 binding), run as a script:
 * each applied file goes to the run's console (the plugin gives this module the run's own),
 * and the result is a MigrateResult. Only data is interpolated, through JSON.stringify.
 */
export function createMigrateModule(binding: string, d1Module: string): string {
  return [
    `import { runMigrateCommand } from ${JSON.stringify(d1Module)};`,
    `export default ({ env }) => runMigrateCommand(env, ${binding === "" ? "undefined" : JSON.stringify(binding)}, (line) => console.log(line));`,
    "",
  ].join("\n");
}
