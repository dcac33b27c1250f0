import { fileURLToPath } from "node:url";
import { spawnCaptured, type CliResult } from "./run-cli.js";

/** The wrangler CLI of the repository's node_modules. */
const WRANGLER_BIN = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/**
 * Runs `wrangler …args` in `cwd` to the end, as a user's CI would: no prompts, no telemetry,
 * no colour. Local commands (`d1 migrations apply DB --local`) run offline.
 */
export function runWrangler(args: string[], cwd: string): Promise<CliResult> {
  return spawnCaptured(process.execPath, [WRANGLER_BIN, ...args], {
    cwd,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
  }).exited;
}
