import { fileURLToPath } from "node:url";

/** The repository (and package) root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The examples, which double as fixtures. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));
/** Small projects made for one test concern each. */
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
/** The launcher's bin shim, as npm links it. */
export const BIN = fileURLToPath(new URL("../../bin/worker-run.js", import.meta.url));
/** The Vite CLI from the repository's node_modules, which a user's `npm run dev` runs. */
export const VITE_BIN = fileURLToPath(new URL("../../node_modules/vite/bin/vite.js", import.meta.url));
