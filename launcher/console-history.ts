import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";

/**
 * The console's history file of a project (its root and config file): in the user's state
 * directory (`$XDG_STATE_HOME`, or `~/.local/state`), never in the project, so it is not
 * committed by accident.
 */
export function consoleHistoryFile(root: string, configFile: string | undefined): string {
  const state = process.env.XDG_STATE_HOME && path.isAbsolute(process.env.XDG_STATE_HOME)
    ? process.env.XDG_STATE_HOME
    : path.join(os.homedir(), ".local", "state");
  const project = createHash("sha256").update(`${root}\0${configFile ?? ""}`).digest("hex").slice(0, 16);
  return path.join(state, "worker-run", "console-history", `${path.basename(root) || "project"}-${project}`);
}
