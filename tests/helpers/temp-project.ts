import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "./paths.js";

/** A throw-away copy of an example or fixture. */
export interface TempProject {
  dir: string;
  remove(): Promise<void>;
}

const SKIPPED = new Set(["node_modules", ".wrangler", "dist", ".vite"]);

/**
 * Copies a project to `<repo>/.tmp/<name>-<random>`, without its state or build output, so a test can
 * change files and local state freely. Inside the repository, so that module resolution
 * still finds the repository's node_modules (vite, the Cloudflare plugin, this package).
 */
export async function copyProject(source: string, name = path.basename(source)): Promise<TempProject> {
  const parent = path.join(REPO_ROOT, ".tmp");
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, `${name}-`));
  await cp(source, dir, {
    recursive: true,
    filter: (file) => !SKIPPED.has(path.basename(file)),
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
