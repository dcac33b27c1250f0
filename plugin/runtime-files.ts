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

// How Vite's module runner names the runtime in stack frames: `/\0virtual:worker-run/runtime:850:14`.
// (The id holds no character special in a pattern.)
const RUNTIME_FRAME_RE = new RegExp(String.raw`/?(?:\0|/@id/__x00__)` + RUNTIME_MODULE_ID, "g");

/**
 * A stack whose frames in the runtime name its file (which holds the served text line for
 * line) rather than its virtual id, which has a NUL in it and opens nowhere.
 */
export function nameRuntimeFrames(stack: string): string {
  return stack.replace(RUNTIME_FRAME_RE, RUNTIME_FILE);
}

/**
 * Whether a stack frame (or a file path) is worker-run's runtime rather than the user's code: a
 * file of dist/runtime/ (`vite-plugin-worker-run/script`, `/d1`, the runtime once its frames are
 * named by {@link nameRuntimeFrames}), or the runtime's virtual id.
 */
export function isRuntimeFrame(line: string): boolean {
  return line.includes(RUNTIME_DIR) || line.includes(RUNTIME_MODULE_ID);
}
