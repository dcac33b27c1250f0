import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { declaredDescription } from "./declared-description.js";
import { SCRIPT_EXTENSIONS } from "./script-path.js";

/** Where a project's scripts live, in the order bare names are looked up. */
export const SCRIPT_FOLDERS = ["src/scripts", "scripts"];

/** The extensions a bare name may leave out, in lookup order. */
const BARE_NAME_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];

/** The script files directly in `folder` (names only), sorted; none if it does not exist. */
export function scriptFilesIn(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile() && (SCRIPT_EXTENSIONS as readonly string[]).includes(path.extname(entry.name)))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Resolves a bare name like a task runner: `seed` is `src/scripts/seed.ts` (or `.mts`,
 * `.js`, `.mjs`, or the same under `scripts/`), but only when no file of that exact path
 * exists. Returns the path to run, relative to `cwd`, or undefined.
 */
export function resolveBareName(root: string, cwd: string, name: string): string | undefined {
  if (existsSync(path.resolve(cwd, name)) || path.isAbsolute(name) || path.extname(name) !== "") return undefined;
  for (const folder of SCRIPT_FOLDERS) {
    for (const extension of BARE_NAME_EXTENSIONS) {
      const candidate = path.join(root, folder, `${name}${extension}`);
      if (existsSync(candidate)) return path.relative(cwd, candidate) || candidate;
    }
  }
  return undefined;
}

/** One entry of `worker-run --list`. */
export interface ListedScript {
  /** What to type: the bare name. */
  name: string;
  /** The file, relative to the project root. */
  path: string;
  /** The first line of the script's declared description, or else of its leading doc comment, if it has one. */
  description: string | undefined;
  /**
   * The worker it runs in: null, the entry worker (a script chooses no worker of its own;
   * `--worker` picks another at run time).
   */
  worker: string | null;
}

/** The scripts of the project's script folders, with their description (declared, or the first doc-comment line). */
export function listScripts(root: string): ListedScript[] {
  const listed: ListedScript[] = [];
  const seen = new Set<string>();
  for (const folder of SCRIPT_FOLDERS) {
    for (const file of scriptFilesIn(path.join(root, folder))) {
      const name = file.slice(0, -path.extname(file).length);
      if (seen.has(name)) continue; // A bare name runs the first one found.
      seen.add(name);
      const relative = `${folder}/${file}`;
      listed.push({ name, path: relative, description: describeScript(path.join(root, relative)), worker: null });
    }
  }
  return listed;
}

/**
 * What `--list` says about a script: the first line of its declared description
 * (`defineScript({ description }, …)`), or else of the comment the file starts with.
 */
export function describeScript(file: string): string | undefined {
  let code: string;
  try {
    code = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const declared = declaredDescription(code)
    ?.split("\n")
    .map((line) => line.trim())
    .find(Boolean);
  return declared ?? firstDocLine(file);
}

/** The first text line of the comment a file starts with (`/** … *\/` or `// …`). */
export function firstDocLine(file: string): string | undefined {
  let head: string;
  try {
    head = readFileSync(file, "utf8").slice(0, 4096);
  } catch {
    return undefined;
  }
  const block = /^\s*\/\*+([\s\S]*?)\*\//.exec(head);
  const lines = block ? block[1]!.split("\n") : (/^\s*((?:\/\/.*\n?)+)/.exec(head)?.[1]?.split("\n") ?? []);
  for (const line of lines) {
    const text = line.replace(/^\s*(\/\/+|\*+)?\s?/, "").trim();
    if (text) return text;
  }
  return undefined;
}
