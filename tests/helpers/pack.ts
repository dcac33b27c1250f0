import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./paths.js";

const execFileAsync = promisify(execFile);

/**
 * `npm pack` of the repository as built (dist/ must exist) into `destination`; returns the
 * tarball's path. `--ignore-scripts`: `prepare` would rebuild dist/, and the tests pack what
 * is built. npm's own `npm_*` variables are dropped, so an `npm test` run does not point the
 * inner npm elsewhere.
 */
export async function packRepository(destination: string): Promise<string> {
  if (!existsSync(path.join(REPO_ROOT, "dist/index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first.");
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const { stdout } = await execFileAsync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", destination], {
    cwd: REPO_ROOT,
    env,
  });
  const [summary] = JSON.parse(stdout) as { filename: string }[];
  if (!summary) throw new Error(`Expected npm pack to report a tarball, got: ${stdout}`);
  return path.join(destination, summary.filename);
}
