import type { Plugin, ResolvedConfig } from "vite";
import { RUN_QUERY, SCRIPT_REFUSED_MARKER, VIRTUAL_ENTRY_ID, VIRTUAL_PREFIX } from "../shared/protocol.js";
import { refuseAbsoluteFormTarget } from "./route-middleware.js";
import { WRAP_ENTRY_MODULE } from "./runtime-files.js";
import { resolveScriptPath } from "./script-path.js";
import { createToken, digestToken } from "./token.js";
import { createVirtualEntry } from "./virtual-entry.js";

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
  /** This server's secret for the route. */
  readonly token: string;
  /** Whether the route is on for this server (see {@link WorkerRunOptions.allowNetwork}). */
  readonly enabled: boolean;
}

/** The plugin's name, by which the launcher finds it in a resolved config. */
export const PLUGIN_NAME = "worker-run";

// The Cloudflare plugin's worker entry imports the user's entry through this id.
const CLOUDFLARE_USER_ENTRY = "virtual:cloudflare/user-entry";
const CLOUDFLARE_WORKER_ENTRY = "\0virtual:cloudflare/worker-entry";
const RESOLVED_ENTRY_ID = `\0${VIRTUAL_ENTRY_ID}`;
const SCRIPT_ID_PREFIX = `${VIRTUAL_PREFIX}script/`;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * The Vite plugin. In `vite dev` it routes each Cloudflare worker's entry through a
 * virtual module that answers `/__worker-run` before the app's `fetch`; in builds and
 * previews it does not exist.
 */
export function workerRun(options: WorkerRunOptions = {}): Plugin<WorkerRunApi> {
  const token = createToken();
  const userEntries = new Map<string, string>();
  let config: ResolvedConfig | undefined;
  let enabled = true;

  return {
    name: PLUGIN_NAME,
    enforce: "pre",
    apply: (_, env) => env.command === "serve" && !env.isPreview,
    api: {
      token,
      get enabled() {
        return enabled;
      },
    },
    // Workers run as "server" consumers; the browser's environment never sees these ids.
    applyToEnvironment: (environment) => environment.config.consumer === "server",
    configResolved(resolved) {
      config = resolved;
      enabled = options.allowNetwork === true || isLoopbackHost(resolved.server.host);
      if (!enabled) {
        resolved.logger.warn(
          `[worker-run] The dev server listens beyond loopback (server.host = ${JSON.stringify(resolved.server.host)}), so /__worker-run is off. Pass workerRun({ allowNetwork: true }) to keep it on.`,
        );
      }
    },
    configureServer(server) {
      if (enabled) server.middlewares.use(refuseAbsoluteFormTarget);
    },
    resolveId: {
      filter: { id: new RegExp(`^(${escapeRegExp(CLOUDFLARE_USER_ENTRY)}$|${escapeRegExp(SCRIPT_ID_PREFIX)})`) },
      async handler(source, importer) {
        if (source === CLOUDFLARE_USER_ENTRY) {
          if (!enabled || importer !== CLOUDFLARE_WORKER_ENTRY) return null;
          const userEntry = await this.resolve(source, importer, { skipSelf: true });
          if (!userEntry) return null;
          userEntries.set(this.environment.name, userEntry.id);
          return RESOLVED_ENTRY_ID;
        }
        if (source.startsWith(SCRIPT_ID_PREFIX) && config) {
          return resolveScriptId(config.root, source.slice(SCRIPT_ID_PREFIX.length));
        }
        return null;
      },
    },
    load: {
      filter: { id: new RegExp(`^${escapeRegExp(RESOLVED_ENTRY_ID)}$`) },
      handler(id) {
        if (id !== RESOLVED_ENTRY_ID) return null;
        const userEntryId = userEntries.get(this.environment.name);
        if (!userEntryId) {
          this.error(`Expected the worker entry of environment "${this.environment.name}" to be resolved first.`);
        }
        return createVirtualEntry({
          userEntryId,
          wrapEntryModule: WRAP_ENTRY_MODULE,
          options: {
            tokenDigest: digestToken(token),
            allowedHosts: options.allowedHosts ?? [],
            entryPath: userEntryId,
          },
        });
      },
    },
  };
}

/**
 * Canonicalises the script path a run asks for (`<nonce>/<encoded path>`) and returns it
 * with the run's query; a refusal becomes an error the dispatcher recognises.
 */
function resolveScriptId(root: string, rest: string): string {
  const slash = rest.indexOf("/");
  const nonce = rest.slice(0, slash);
  let requested = "";
  try {
    if (/^[\w-]{1,64}$/.test(nonce)) requested = decodeURIComponent(rest.slice(slash + 1));
  } catch {
    // Malformed escapes: refused below like any empty path.
  }
  const resolved = resolveScriptPath(root, requested);
  if (resolved.ok) return `${resolved.path}?${RUN_QUERY}=${nonce}`;
  throw new Error(SCRIPT_REFUSED_MARKER + resolved.message);
}

function isLoopbackHost(host: string | boolean | undefined): boolean {
  if (host === undefined || host === false) return true;
  if (host === true) return false;
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
