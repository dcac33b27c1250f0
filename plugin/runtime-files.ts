import { fileURLToPath } from "node:url";
import { VIRTUAL_PREFIX } from "../shared/protocol.js";

/**
 * The runtime module the virtual entry imports, found relative to this file once built: the
 * build bundles the Node side into modules directly in dist/ and the worker side into
 * dist/runtime/worker.js, one self-contained ESM file, loaded in one module-runner round trip.
 * Forward slashes, as Vite wants ids.
 */
export const RUNTIME_FILE = fileURLToPath(new URL("./runtime/worker.js", import.meta.url)).replaceAll("\\", "/");

/**
 * The id the virtual entry imports {@link RUNTIME_FILE} by. The plugin serves the file as a
 * virtual module (resolved id `\0` + this), which the app's transform plugins skip: the file is
 * built already, and their filters match by path. React's plugin, for one, compiles every `.js`
 * outside node_modules, so in a linked install (a workspace, `npm link`) it compiled the runtime
 * anew at every start (40–50 ms, a few percent of a cold run).
 */
export const RUNTIME_MODULE_ID = `${VIRTUAL_PREFIX}runtime`;

/** `vite-plugin-worker-run/d1`, which the module of `--migrate` imports. */
export const D1_MODULE = fileURLToPath(new URL("./runtime/d1.js", import.meta.url)).replaceAll("\\", "/");

const RUNTIME_DIR = RUNTIME_FILE.slice(0, RUNTIME_FILE.lastIndexOf("/") + 1);

/**
 * Whether a stack frame (or a file path) is worker-run's runtime rather than the user's code:
 * the runtime module shows as its virtual id, `vite-plugin-worker-run/script` and `/d1` as files.
 */
export function isRuntimeFrame(line: string): boolean {
  return line.includes(RUNTIME_DIR) || line.includes(RUNTIME_MODULE_ID);
}
