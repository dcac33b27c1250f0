import { fileURLToPath } from "node:url";

/**
 * The runtime module the virtual entry imports, found relative to this file once built: the
 * build bundles the Node side into modules directly in dist/ and the worker side into
 * dist/runtime/worker.js, one ESM file that is still plain source for the user's Vite to
 * compile inside the worker environment, loaded in one module-runner round trip. Forward
 * slashes, as Vite wants ids.
 */
export const WRAP_ENTRY_MODULE = fileURLToPath(new URL("./runtime/worker.js", import.meta.url)).replaceAll("\\", "/");

/** `vite-plugin-worker-run/d1`, which the module of `--migrate` imports. */
export const D1_MODULE = fileURLToPath(new URL("./runtime/d1.js", import.meta.url)).replaceAll("\\", "/");

/** The folder of the runtime modules, to tell their stack frames from the user's. */
export const RUNTIME_DIR = WRAP_ENTRY_MODULE.slice(0, WRAP_ENTRY_MODULE.lastIndexOf("/") + 1);
