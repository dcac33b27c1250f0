import { fileURLToPath } from "node:url";

/**
 * The runtime module the virtual entry imports, found relative to this file: both ship
 * in `dist/`, transpiled file by file, so the user's Vite compiles the runtime inside
 * the worker environment. Forward slashes, as Vite wants ids.
 */
export const WRAP_ENTRY_MODULE = fileURLToPath(new URL("../runtime/wrap-entry.js", import.meta.url)).replaceAll(
  "\\",
  "/",
);

/** The folder of the runtime modules, to tell their stack frames from the user's. */
export const RUNTIME_DIR = WRAP_ENTRY_MODULE.slice(0, WRAP_ENTRY_MODULE.lastIndexOf("/") + 1);
