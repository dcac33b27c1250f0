import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { Plugin, ResolvedConfig } from "vite";
import { removeRecord, writeRecord } from "../common/discovery.js";
import { SCRIPT_FOLDERS } from "../common/script-folders.js";
import { SCRIPT_EXTENSIONS } from "../common/script-path.js";
import { CONSOLE_MODULE_PREFIX, EVAL_MODULE_PREFIX, SCRIPT_MODULE_PREFIX, VIRTUAL_ENTRY_ID } from "../shared/protocol.js";
import { D1_MIGRATIONS_MODULE_PREFIX, MIGRATE_MODULE_PREFIX } from "../shared/d1-migrations.js";
import { createD1MigrationsModules, createMigrateModule, RESOLVED_D1_MIGRATIONS_PREFIX } from "./d1-migrations-module.js";
import { createRouteMiddleware } from "./route-middleware.js";
import { createRunModules, RUN_INSTANCE_RE } from "./run-modules.js";
import { D1_MODULE, RUNTIME_FILE, RUNTIME_MODULE_ID } from "./runtime-files.js";
import { createToken, digestToken } from "./token.js";
import { createVirtualEntry } from "./virtual-entry.js";
import { createWorkerDirectory } from "./workers.js";

/** Options of {@link workerRun}. */
export interface WorkerRunOptions {
  /**
   * Host names, besides localhost, 127.0.0.1 and [::1], whose requests may run scripts
   * (for example a name you map to 127.0.0.1 yourself). Default: none.
   */
  allowedHosts?: string[];
  /**
   * Keep the route on when the dev server listens beyond loopback (`vite --host`).
   * Off by default: anyone who can reach the server could then try the route.
   */
  allowNetwork?: boolean;
}

/** What the plugin offers the launcher, through `plugin.api`. */
export interface WorkerRunApi {
  /**
   * This server's secret for the route. A function, so that nothing that prints the
   * plugin (`DEBUG=vite:*` inspects the resolved config) prints the token.
   */
  getToken(): string;
  /**
   * Whether the worker entry of some environment was routed through the plugin. False once
   * a worker has served a request means @cloudflare/vite-plugin no longer imports the user's
   * entry the way this plugin expects.
   */
  entryWrapped(): boolean;
  /**
   * The ids of the launchers' runs this server is answering now. A launcher that started a
   * server others share closes it only once no other run is left and no launcher is waiting for it.
   */
  runsInFlight(): string[];
  /** The Wrangler names of this server's workers, the entry worker first. */
  workerNames(): string[];
  /** Whether the route is on for this server (see {@link WorkerRunOptions.allowNetwork}). */
  readonly enabled: boolean;
  /**
   * Whether the server writes a discovery record when it listens, so that launchers of the
   * same project run their scripts in it. The launcher turns it off for the servers it starts.
   */
  discoverable: boolean;
}

/** The plugin's name, by which the launcher finds it in a resolved config. */
export const PLUGIN_NAME = "worker-run";

// The Cloudflare plugin's worker entry imports the user's entry through this id.
const CLOUDFLARE_USER_ENTRY = "virtual:cloudflare/user-entry";
const CLOUDFLARE_WORKER_ENTRY = "\0virtual:cloudflare/worker-entry";
const RESOLVED_ENTRY_ID = `\0${VIRTUAL_ENTRY_ID}`;
const RESOLVED_RUNTIME_ID = `\0${RUNTIME_MODULE_ID}`;
const SCRIPT_ENTRY_GLOBS = SCRIPT_FOLDERS.map(
  (folder) => `${folder}/**/*.{${SCRIPT_EXTENSIONS.map((extension) => extension.slice(1)).join(",")}}`,
);
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * The Vite plugin. In `vite dev` it routes each Cloudflare worker's entry through a
 * virtual module that answers `/__worker-run` before the app's `fetch`; in builds and
 * previews it does not exist.
 */
export function workerRun(options: WorkerRunOptions = {}): Plugin<WorkerRunApi> {
  const token = createToken();
  const userEntries = new Map<string, string>();
  const runModules = createRunModules();
  const d1Migrations = createD1MigrationsModules();
  const workers = createWorkerDirectory();
  /** The launchers' runs whose answers are still open, by run id. */
  const runsInFlight = new Set<string>();
  let config: ResolvedConfig | undefined;
  let enabled = true;
  const api: WorkerRunApi = {
    getToken: () => token,
    entryWrapped: () => userEntries.size > 0,
    runsInFlight: () => [...runsInFlight],
    workerNames: () => workers.list().map((worker) => worker.name),
    get enabled() {
      return enabled;
    },
    discoverable: true,
  };

  return {
    name: PLUGIN_NAME,
    enforce: "pre",
    apply: (_, env) => env.command === "serve" && !env.isPreview,
    api,
    // Workers run as "server" consumers; the browser's environment never sees these ids.
    applyToEnvironment: (environment) => environment.config.consumer === "server",
    configEnvironment(_name, environment) {
      // Only the environments that scan an entry of their own: the Cloudflare plugin's workers.
      if (environment.optimizeDeps?.entries === undefined) return null;
      // Scripts run in the worker's module graph, so their dependencies are scanned with the
      // entry at start-up. Found only during a run, Vite would pre-bundle them then and reload
      // the worker's module runner mid-run, which loses the source maps of the run's stack.
      return { optimizeDeps: { entries: SCRIPT_ENTRY_GLOBS } };
    },
    configResolved(resolved) {
      config = resolved;
      enabled = options.allowNetwork === true || isLoopbackHost(resolved.server.host);
      if (!enabled) {
        resolved.logger.warn(
          `[worker-run] The dev server listens beyond loopback (server.host = ${JSON.stringify(resolved.server.host)}), so /__worker-run is off. Pass workerRun({ allowNetwork: true }) to keep it on.`,
        );
      }
    },
    // Before the Cloudflare plugin's: the worker directory must see it set up each worker.
    configureServer: {
      order: "pre",
      handler(server) {
        if (!enabled) return;
        workers.watch(server);
        const graphs = Object.values(server.environments)
          .filter((environment) => environment.config.consumer === "server")
          .map((environment) => environment.moduleGraph);
        const runs = {
          started: (runId: string) => runsInFlight.add(runId),
          ended: (runId: string) => {
            runsInFlight.delete(runId);
            runModules.forget(runId, graphs);
            d1Migrations.forgetLoaded(graphs);
          },
        };
        server.middlewares.use(createRouteMiddleware(token, runs, workers));
        const { httpServer } = server;
        httpServer?.once("listening", () => {
          if (!api.discoverable) return;
          const record = advertise(httpServer.address(), server.config, token, workers.list().map((worker) => worker.name));
          if (!record) return;
          const remove = (): void => removeRecord(record, token);
          process.once("exit", remove);
          httpServer.once("close", () => {
            process.off("exit", remove);
            remove();
          });
        });
      },
    },
    resolveId: {
      filter: {
        id: new RegExp(
          `^(${escapeRegExp(CLOUDFLARE_USER_ENTRY)}$|${escapeRegExp(RUNTIME_MODULE_ID)}$|${[SCRIPT_MODULE_PREFIX, EVAL_MODULE_PREFIX, CONSOLE_MODULE_PREFIX, MIGRATE_MODULE_PREFIX, D1_MIGRATIONS_MODULE_PREFIX].map(escapeRegExp).join("|")})`,
        ),
      },
      async handler(source, importer) {
        if (source === CLOUDFLARE_USER_ENTRY) {
          if (!enabled || importer !== CLOUDFLARE_WORKER_ENTRY) return null;
          const userEntry = await this.resolve(source, importer, { skipSelf: true });
          if (!userEntry) return null;
          userEntries.set(this.environment.name, userEntry.id);
          return RESOLVED_ENTRY_ID;
        }
        if (source === RUNTIME_MODULE_ID) return RESOLVED_RUNTIME_ID;
        if (!config) return null;
        if (source.startsWith(SCRIPT_MODULE_PREFIX)) {
          return runModules.resolveScript(config.root, source.slice(SCRIPT_MODULE_PREFIX.length));
        }
        if (source.startsWith(D1_MIGRATIONS_MODULE_PREFIX)) return d1Migrations.resolve(source) ?? null;
        if (source.startsWith(MIGRATE_MODULE_PREFIX)) {
          const rest = source.slice(MIGRATE_MODULE_PREFIX.length);
          return runModules.resolveGenerated(rest, MIGRATE_MODULE_PREFIX.slice(0, -1), (binding) => createMigrateModule(binding, D1_MODULE));
        }
        if (source.startsWith(CONSOLE_MODULE_PREFIX)) {
          const parse = (code: string) => this.parse(code) as unknown as { body: unknown[] };
          return runModules.resolveConsoleEntry(config.root, source.slice(CONSOLE_MODULE_PREFIX.length), parse);
        }
        return runModules.resolveSnippet(config.root, source.slice(EVAL_MODULE_PREFIX.length));
      },
    },
    transform: {
      filter: { id: RUN_INSTANCE_RE },
      handler: (code, id) => runModules.transform(code, id) ?? null,
    },
    load: {
      filter: {
        id: new RegExp(`^${escapeRegExp(RESOLVED_ENTRY_ID)}$|^${escapeRegExp(RESOLVED_RUNTIME_ID)}$|^${escapeRegExp(RESOLVED_D1_MIGRATIONS_PREFIX)}|${RUN_INSTANCE_RE.source}`),
      },
      async handler(id) {
        if (id === RESOLVED_RUNTIME_ID) return readFile(RUNTIME_FILE, "utf8");
        if (id.startsWith(RESOLVED_D1_MIGRATIONS_PREFIX)) {
          return config ? d1Migrations.load(id, workers.byEnvironment(this.environment.name), config.root) : null;
        }
        if (id !== RESOLVED_ENTRY_ID) return runModules.load(id) ?? null;
        const userEntryId = userEntries.get(this.environment.name);
        if (!userEntryId) {
          this.error(`Expected the worker entry of environment "${this.environment.name}" to be resolved first.`);
        }
        const environment = this.environment.name;
        return createVirtualEntry({
          userEntryId,
          runtimeModule: RUNTIME_MODULE_ID,
          objectClasses: workers.objectClasses(environment),
          options: {
            tokenDigest: digestToken(token),
            // Host names compare case-insensitively; the worker lowercases what it is sent.
            allowedHosts: (options.allowedHosts ?? []).map((host) => host.toLowerCase()),
            entryPath: userEntryId,
            workerName: workers.byEnvironment(environment)?.name ?? "",
            externalObjects: workers.externalObjects(environment),
          },
        });
      },
    },
  };
}

function isLoopbackHost(host: string | boolean | undefined): boolean {
  if (host === undefined || host === false) return true;
  if (host === true) return false;
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Writes this server's discovery record; returns its path, or undefined when it cannot. */
function advertise(
  address: string | AddressInfo | null,
  config: ResolvedConfig,
  token: string,
  workerNames: string[],
): string | undefined {
  if (!address || typeof address === "string") return undefined;
  // A server on every interface (allowNetwork) is reached on loopback all the same.
  const ip = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  const host = ip.includes(":") ? `[${ip}]` : ip;
  const url = `http://${host}:${address.port}/`;
  try {
    return writeRecord({
      version: 1,
      pid: process.pid,
      url,
      token,
      root: config.root,
      configFile: config.configFile ?? null,
      mode: config.mode,
      ...(workerNames.length ? { workers: workerNames } : {}),
    });
  } catch (error) {
    config.logger.warn(
      `[worker-run] Could not write the discovery record, so worker-run will start its own server instead of using this one: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}
