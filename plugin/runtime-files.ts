import { fileURLToPath } from "node:url";

/**
 * The runtime module the virtual entry imports, found relative to this file. `runtime/` is
 * compiled file by file, then `wrap-entry.js` and what it imports are bundled into this one
 * ESM file: it is still plain source for the user's Vite to compile inside the worker
 * environment, but the worker loads it with one module-runner round trip instead of eight
 * (npm run bench: cold / floor went from 1.09 to 1.04). Forward slashes, as Vite
 * wants ids.
 */
export const WRAP_ENTRY_MODULE = fileURLToPath(new URL("../runtime/worker.js", import.meta.url)).replaceAll("\\", "/");

/** The folder of the runtime modules, to tell their stack frames from the user's. */
export const RUNTIME_DIR = WRAP_ENTRY_MODULE.slice(0, WRAP_ENTRY_MODULE.lastIndexOf("/") + 1);
