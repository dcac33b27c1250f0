import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { InlineConfig, Logger, ViteDevServer } from "vite";
import { PLUGIN_NAME, type WorkerRunApi } from "../plugin/plugin.js";
import { UsageError } from "./usage-error.js";

/** A dev server the launcher started, and how to reach its route. */
export interface StartedServer {
  url: string;
  token: string;
  /** See {@link WorkerRunApi.entryWrapped}. */
  entryWrapped(): boolean;
  /** See {@link WorkerRunApi.runsInFlight}. */
  runsInFlight(): string[];
  /** See {@link WorkerRunApi.workerNames}. */
  workerNames(): string[];
  close(): Promise<void>;
}

export interface StartServerOptions {
  root: string;
  /** The Vite config file; undefined: found like `vite` finds it. */
  configFile: string | undefined;
  mode: string;
  logger: Logger;
  /** Write a discovery record, so that other launchers of the project run in this server. */
  discoverable: boolean;
  /**
   * Watch the project's files, as `vite dev` does: a console session lives long enough for
   * the developer to edit a module between two entries. A one-shot run does not.
   */
  watch?: boolean;
}

/**
 * What the launcher's own server leaves out of the user's config: it serves runs, not a
 * browser. No HMR WebSocket for browsers, no file watcher (a one-shot server lives for its
 * runs; every run imports a fresh instance of its script anyway), and no dependency
 * discovery for the client environment, which on an app with a real client side is a large
 * part of start-up. The worker environments, their modules and their state are untouched.
 */
const ONE_SHOT_SERVER: InlineConfig = {
  server: { host: "127.0.0.1", port: 0, strictPort: false, open: false, ws: false, watch: null },
  environments: { client: { optimizeDeps: { noDiscovery: true, include: [] } } },
};

/**
 * Starts the user's own dev server from their config, on 127.0.0.1 and a free port,
 * and checks it can run scripts. The server is closed again if that check fails.
 */
export async function startDevServer(options: StartServerOptions): Promise<StartedServer> {
  const vite = await importProjectVite(options.root);
  const server = await withoutNewSignalListeners(() =>
    vite.createServer({
      root: options.root,
      configFile: options.configFile,
      mode: options.mode,
      customLogger: options.logger,
      clearScreen: false,
      ...ONE_SHOT_SERVER,
      ...(options.watch ? { server: { ...ONE_SHOT_SERVER.server, watch: {} } } : {}),
    }),
  );
  try {
    const api = checkPlugins(server);
    api.discoverable = options.discoverable;
    await withoutNewSignalListeners(() => server.listen());
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error("Expected the dev server to report a local URL after listen().");
    return {
      url,
      token: api.getToken(),
      entryWrapped: () => api.entryWrapped(),
      runsInFlight: () => api.runsInFlight(),
      workerNames: () => api.workerNames(),
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

function checkPlugins(server: ViteDevServer): WorkerRunApi {
  const { plugins, configFile } = server.config;
  const configName = configFile ? path.relative(process.cwd(), configFile) || configFile : "the inline Vite config";
  if (!plugins.some((plugin) => plugin.name.startsWith("vite-plugin-cloudflare"))) {
    throw new UsageError(
      `No @cloudflare/vite-plugin in ${configName}: worker-run runs scripts inside the Cloudflare worker, so add cloudflare() to plugins.`,
    );
  }
  const plugin = plugins.find((candidate) => candidate.name === PLUGIN_NAME);
  const api = plugin?.api as WorkerRunApi | undefined;
  if (!api) {
    throw new UsageError(
      `No workerRun() in ${configName}: add it to plugins (import { workerRun } from "vite-plugin-worker-run").`,
    );
  }
  if (!api.enabled) {
    throw new UsageError(
      `workerRun() is off in ${configName} because the server listens beyond loopback (server.host). Pass workerRun({ allowNetwork: true }) to keep the route on, or listen on localhost.`,
    );
  }
  return api;
}

/** The project's own Vite (a peer dependency), so the server is exactly the user's. */
async function importProjectVite(root: string): Promise<typeof import("vite")> {
  let specifier = "vite";
  try {
    specifier = pathToFileURL(createRequire(path.join(root, "package.json")).resolve("vite")).href;
  } catch {
    // Not installed in the project: fall back to the Vite next to this package.
  }
  return (await import(specifier)) as typeof import("vite");
}

const HANDLED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `start` and removes the SIGINT/SIGTERM/SIGHUP listeners it added, and its listeners for
 * the end of stdin. Loading the Cloudflare plugin loads wrangler, which exits the process with
 * code 0 on those signals, and Vite adds its own SIGTERM exit and closes the server and exits
 * when stdin ends (as a `vite dev` whose parent went away should); the launcher handles the
 * signals itself (cancel the run, close the server, exit 130/143/129), and its stdin may be a
 * pipe that ends long before the run (`worker-run seed < /dev/null`, a piped console).
 */
async function withoutNewSignalListeners<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(HANDLED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const stdinBefore = new Set(process.stdin.listeners("end"));
  try {
    return await start();
  } finally {
    for (const signal of HANDLED_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.has(listener)) process.off(signal, listener);
      }
    }
    for (const listener of process.stdin.listeners("end")) {
      if (!stdinBefore.has(listener)) process.stdin.off("end", listener as (...args: unknown[]) => void);
    }
  }
}
