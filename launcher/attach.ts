import { existsSync } from "node:fs";
import path from "node:path";
import { readRecord, recordPath, removeRecord } from "../common/discovery.js";
import { postToRoute } from "./route-client.js";

/** A dev server of this project that is already running, found through its record. */
export interface RunningServer {
  url: string;
  token: string;
  pid: number;
}

// The names Vite looks for, in its order, when no config file is given.
const DEFAULT_CONFIG_FILES = [
  "vite.config.js",
  "vite.config.mjs",
  "vite.config.ts",
  "vite.config.cjs",
  "vite.config.mts",
  "vite.config.cts",
];

/** How long a running server has to confirm it knows the token. */
const CONFIRM_TIMEOUT_MS = 5_000;

/**
 * Finds a `vite dev` of the same project (same root and config file, as {@link resolveConfigFile}
 * gives it) that runs workerRun(),
 * and confirms it with an authenticated request that runs nothing. A record that does not
 * hold up is removed, and the launcher starts its own server. Does not load Vite.
 */
export async function findRunningServer(
  root: string,
  config: string | undefined,
  mode: string,
): Promise<RunningServer | undefined> {
  const record = readRecord(root, config, mode);
  if (!record) return undefined;
  const confirmation = AbortSignal.timeout(CONFIRM_TIMEOUT_MS);
  try {
    const body = { ping: true } as const;
    const answer = await postToRoute({ url: record.url, token: record.token, body, signal: confirmation });
    if (answer.ok) return { url: record.url, token: record.token, pid: record.pid };
  } catch {
    // A live server that is slow to answer (a busy machine) keeps its record: this launcher
    // starts its own server, and the next one looks again. Refused, or not answering as our
    // dispatcher: stale.
    if (confirmation.aborted) return undefined;
  }
  removeRecord(recordPath(root, config), record.token);
  return undefined;
}

/** The config file a dev server of this project uses: the one given, or the one Vite would find. */
export function resolveConfigFile(root: string, configFile: string | undefined): string | undefined {
  return configFile ?? DEFAULT_CONFIG_FILES.map((name) => path.join(root, name)).find((file) => existsSync(file));
}
