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
