import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./paths.js";

const execFileAsync = promisify(execFile);

/** Where the Node binaries are kept between runs (git-ignored). */
const CACHE_DIR = path.join(REPO_ROOT, ".tmp", "node-binaries");
const INSTALL_TIMEOUT_MS = 300_000;

/**
 * The path of a `node` binary of the given major version, from the npm registry's
 * `node-<platform>-<arch>` package (a bare `bin/node`, no npm). Installed once into
 * `<repo>/.tmp/node-binaries/node<major>/` and reused while it is there and still answers
 * `--version` with that major. The install goes to a folder of its own that is renamed into
 * place when complete, so an interrupted or concurrent install never leaves a half-written
 * binary behind. npm's own `npm_*` variables are dropped, so an `npm test` run does not point
 * the inner npm at the repository. `signal` cancels an install in progress (its npm gets SIGKILL).
 */
export async function installNode(major: number, options: { signal?: AbortSignal } = {}): Promise<string> {
  if (process.platform !== "linux" && process.platform !== "darwin") {
    throw new Error(`installNode: no node-${process.platform}-${process.arch} package is used on this platform.`);
  }
  const packageName = `node-${process.platform}-${process.arch}`;
  const binaryIn = (dir: string): string => path.join(dir, "node_modules", packageName, "bin", "node");
  const target = path.join(CACHE_DIR, `node${major}`);
  if (await hasMajor(binaryIn(target), major)) return binaryIn(target);

  await mkdir(CACHE_DIR, { recursive: true });
  const partial = await mkdtemp(path.join(CACHE_DIR, `node${major}-partial-`));
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
    try {
      await execFileAsync(
        "npm",
        ["install", "--prefix", partial, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `${packageName}@${major}`],
        { cwd: partial, env, timeout: INSTALL_TIMEOUT_MS, killSignal: "SIGKILL", signal: options.signal },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm install ${packageName}@${major} failed: ${(error as Error).message}\n${stdout ?? ""}\n${stderr ?? ""}`);
    }
    if (!(await hasMajor(binaryIn(partial), major))) {
      throw new Error(`npm installed ${packageName}@${major}, but ${binaryIn(partial)} does not run as Node ${major}.`);
    }
    // A broken leftover is replaced; a complete one written meanwhile by another run is kept.
    if (existsSync(target) && !(await hasMajor(binaryIn(target), major))) await rm(target, { recursive: true, force: true });
    try {
      await rename(partial, target);
    } catch (error) {
      if (!(await hasMajor(binaryIn(target), major))) throw error;
    }
    return binaryIn(target);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** True if `binary` exists and runs, reporting version `v<major>.…`. */
async function hasMajor(binary: string, major: number): Promise<boolean> {
  if (!existsSync(binary)) return false;
  try {
    const { stdout } = await execFileAsync(binary, ["--version"], { timeout: 30_000 });
    return stdout.trim().startsWith(`v${major}.`);
  } catch {
    return false;
  }
}
