import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { isPrivate, privateDirectory } from "../common/discovery.js";
import { findPackageManifest } from "./installed-packages.js";

/** The variable Miniflare reads for the workerd binary to start. */
const WORKERD_PATH_VARIABLE = "MINIFLARE_WORKERD_PATH";
/** Where the shield script finds the real binary. */
const REAL_WORKERD_VARIABLE = "WORKER_RUN_WORKERD";

// setsid(1) (util-linux) runs workerd in a session of its own, with the same pid, so that
// Miniflare's SIGKILL still reaches it. Without setsid (macOS), ignored signals stay ignored
// across exec: enough for SIGINT and SIGHUP, while workerd drains itself on SIGTERM.
const SHIELD_SCRIPT = `#!/bin/sh
# Written by worker-run: starts workerd out of reach of the terminal's signals.
if command -v setsid >/dev/null 2>&1; then exec setsid "$${REAL_WORKERD_VARIABLE}" "$@"; fi
trap '' INT TERM HUP
exec "$${REAL_WORKERD_VARIABLE}" "$@"
`;

/**
 * A terminal's Ctrl-C (and its closing) signals the whole foreground process group: the
 * launcher and the workerd that Miniflare started beside it. workerd would die at once, and
 * the script's `signal` would never fire. So the servers the launcher starts run workerd
 * through a small shell script that puts it out of the terminal's reach (its own session)
 * and then execs the real binary. The launcher handles those signals itself; Miniflare still
 * stops workerd with SIGKILL when the server closes, and on the launcher's exit.
 *
 * Returns a function that puts the environment back, or undefined where there is nothing to
 * shield (Windows) or the binary cannot be found (then workerd starts as it always did).
 */
export function shieldWorkerd(root: string): (() => void) | undefined {
  if (process.platform === "win32") return undefined;
  const binary = process.env[WORKERD_PATH_VARIABLE] ?? findWorkerdBinary(root);
  if (!binary) return undefined;
  let script: string;
  try {
    script = writeShieldScript();
  } catch {
    return undefined;
  }
  const before = { shield: process.env[WORKERD_PATH_VARIABLE], real: process.env[REAL_WORKERD_VARIABLE] };
  process.env[WORKERD_PATH_VARIABLE] = script;
  process.env[REAL_WORKERD_VARIABLE] = binary;
  return () => {
    restore(WORKERD_PATH_VARIABLE, before.shield);
    restore(REAL_WORKERD_VARIABLE, before.real);
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * The binary Miniflare would start: the `workerd` package as the project's Cloudflare
 * plugin's Miniflare resolves it.
 */
function findWorkerdBinary(root: string): string | undefined {
  try {
    const pluginManifest = findPackageManifest(root, "@cloudflare/vite-plugin");
    if (!pluginManifest) return undefined;
    const miniflare = createRequire(pluginManifest).resolve("miniflare");
    const workerd = createRequire(miniflare)("workerd") as { default?: unknown };
    return typeof workerd.default === "string" && existsSync(workerd.default) ? workerd.default : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the script once, into the user's private worker-run folder (content-named, mode 0700). */
function writeShieldScript(): string {
  const directory = privateDirectory();
  const name = `workerd-shield-${createHash("sha256").update(SHIELD_SCRIPT).digest("hex").slice(0, 12)}.sh`;
  const file = path.join(directory, name);
  if (isPrivate(file, "file")) return file;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, SHIELD_SCRIPT, { mode: 0o700 });
  renameSync(temporary, file);
  return file;
}
