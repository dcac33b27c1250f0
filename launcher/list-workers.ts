import path from "node:path";
import { readRecord } from "../common/discovery.js";
import { resolveConfigFile } from "./attach.js";
import { withDevServer } from "./run-script.js";

/**
 * The Wrangler names of the project's workers, the entry worker first: from the running
 * `vite dev`'s discovery record when there is one, or else from the project's dev server
 * started (quietly, for a moment) to set them up. Empty when neither can tell.
 */
export async function listWorkers(
  root: string,
  config: string | undefined,
  mode = "development",
  signal?: AbortSignal,
): Promise<string[]> {
  const configFile = resolveConfigFile(root, config === undefined ? undefined : path.resolve(config));
  const running = readRecord(root, configFile, mode)?.workers;
  if (running) return running;
  if (!configFile) return [];
  const quiet = { stdout: () => {}, stderr: () => {} };
  const names = await withDevServer(
    { root, configFile, mode, options: { script: "--list", attach: false, output: quiet, ...(signal ? { signal } : {}) } },
    async ({ server }) => ("workerNames" in server ? server.workerNames() : []),
  );
  return Array.isArray(names) ? names : [];
}
