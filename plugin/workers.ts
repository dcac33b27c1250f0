import type { ViteDevServer } from "vite";

/** A Durable Object binding as a Wrangler config declares it. */
interface ObjectBinding {
  name: string;
  class_name: string;
  script_name?: string;
}

/** The part of Miniflare the plugin uses: a request to one worker of the dev server. */
interface WorkerDispatcher {
  dispatchFetch(input: URL, init: RequestInit): Promise<Response>;
}

/** One worker of the dev server, as @cloudflare/vite-plugin set it up. */
export interface WorkerInfo {
  /** Its Wrangler `name`. */
  name: string;
  /** The Vite environment its modules go through. */
  environment: string;
  entry: boolean;
  objectBindings: ObjectBinding[];
  /** Its `d1_databases`, as the config declares them. */
  d1Databases: D1DatabaseConfig[];
  /** Its Wrangler config file; undefined for a config inline in the Vite config. */
  configPath: string | undefined;
}

/** A D1 binding as a Wrangler config declares it: the fields migrations read. */
export interface D1DatabaseConfig {
  binding: string;
  database_name?: string;
  migrations_dir?: string;
  migrations_table?: string;
  migrations_pattern?: string;
}

/**
 * What the dev server's workers are, and a way to send a request to any of them. The dev
 * server sends HTTP to the entry worker only; @cloudflare/vite-plugin reaches each worker
 * itself through Miniflare with the `MF-Route-Override` header naming it, when it sets up that
 * worker's module runner (`initRunner(miniflare, workerConfig, options)` of each worker's
 * environment, every release from 1.13 to today). The directory watches those calls go by:
 * it learns each worker's name and config, and the Miniflare instance, and changes nothing.
 */
export interface WorkerDirectory {
  /** Starts watching a new server's environments; before the Cloudflare plugin sets them up. */
  watch(server: ViteDevServer): void;
  /** The workers, entry first; empty when the Cloudflare plugin set none up the known way. */
  list(): WorkerInfo[];
  byEnvironment(environment: string): WorkerInfo | undefined;
  byName(name: string): WorkerInfo | undefined;
  /** Sends a request to the named worker's `fetch`, as the dev server does for the entry. */
  dispatch(name: string, url: URL, init: RequestInit): Promise<Response>;
  /** Classes of the worker in `environment` that some worker's Durable Object binding names. */
  objectClasses(environment: string): string[];
  /** The Durable Object bindings of the worker in `environment` whose class no worker here defines. */
  externalObjects(environment: string): Record<string, string>;
}

const ROUTE_OVERRIDE_HEADER = "MF-Route-Override";

type InitRunner = (miniflare: WorkerDispatcher, workerConfig: unknown, options?: unknown) => Promise<unknown>;

export function createWorkerDirectory(): WorkerDirectory {
  const workers = new Map<string, WorkerInfo>();
  let miniflare: WorkerDispatcher | undefined;

  const directory: WorkerDirectory = {
    watch(server) {
      workers.clear();
      miniflare = undefined;
      for (const [environmentName, environment] of Object.entries(server.environments)) {
        const target = environment as unknown as { initRunner?: InitRunner };
        const initRunner = target.initRunner;
        if (typeof initRunner !== "function") continue;
        target.initRunner = function (this: unknown, dispatcher, workerConfig, options) {
          const info = describeWorker(environmentName, workerConfig, options);
          if (info) {
            workers.set(environmentName, info);
            miniflare = dispatcher;
          }
          return initRunner.call(this, dispatcher, workerConfig, options);
        };
      }
    },
    list: () => [...workers.values()].sort((a, b) => Number(b.entry) - Number(a.entry)),
    byEnvironment: (environment) => workers.get(environment),
    byName: (name) => [...workers.values()].find((worker) => worker.name === name),
    dispatch(name, url, init) {
      if (!miniflare) return Promise.reject(new Error("The dev server's workers are not set up yet."));
      const headers = new Headers(init.headers);
      headers.set(ROUTE_OVERRIDE_HEADER, name);
      return miniflare.dispatchFetch(url, { ...init, headers });
    },
    objectClasses(environment) {
      const own = workers.get(environment);
      if (!own) return [];
      const classes = new Set<string>();
      for (const worker of workers.values()) {
        for (const binding of worker.objectBindings) {
          if ((binding.script_name ?? worker.name) === own.name) classes.add(binding.class_name);
        }
      }
      return [...classes];
    },
    externalObjects(environment) {
      const own = workers.get(environment);
      const external: Record<string, string> = {};
      for (const binding of own?.objectBindings ?? []) {
        const script = binding.script_name;
        if (script !== undefined && !directory.byName(script)) external[binding.name] = script;
      }
      return external;
    },
  };
  return directory;
}

/** A worker's name and Durable Object bindings from the config the Cloudflare plugin passes. */
function describeWorker(environment: string, workerConfig: unknown, options: unknown): WorkerInfo | undefined {
  const config = (workerConfig ?? {}) as {
    name?: unknown;
    durable_objects?: { bindings?: unknown };
    d1_databases?: unknown;
    configPath?: unknown;
  };
  // Early releases passed `isEntryWorker` alone.
  const { isEntryWorker, isParentEnvironment } = (typeof options === "boolean" ? { isEntryWorker: options } : (options ?? {})) as {
    isEntryWorker?: unknown;
    isParentEnvironment?: unknown;
  };
  // A child environment (React Server Components) runs in its parent's worker.
  if (typeof config.name !== "string" || isParentEnvironment === false) return undefined;
  const bindings = Array.isArray(config.durable_objects?.bindings) ? (config.durable_objects.bindings as unknown[]) : [];
  return {
    name: config.name,
    environment,
    entry: isEntryWorker === true,
    objectBindings: bindings.filter(isObjectBinding),
    d1Databases: Array.isArray(config.d1_databases) ? (config.d1_databases as unknown[]).filter(isD1Database) : [],
    configPath: typeof config.configPath === "string" ? config.configPath : undefined,
  };
}

function isD1Database(value: unknown): value is D1DatabaseConfig {
  return typeof value === "object" && value !== null && typeof (value as { binding?: unknown }).binding === "string";
}

function isObjectBinding(value: unknown): value is ObjectBinding {
  if (typeof value !== "object" || value === null) return false;
  const binding = value as Record<string, unknown>;
  return (
    typeof binding.name === "string" &&
    typeof binding.class_name === "string" &&
    (binding.script_name === undefined || typeof binding.script_name === "string")
  );
}
