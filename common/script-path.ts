import { realpathSync, statSync } from "node:fs";
import path from "node:path";

/** Extensions a script may have (checked on the canonical path). */
export const SCRIPT_EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".tsx", ".jsx"] as const;

/** Why a script path was refused; each maps to a sentence a user can act on. */
export type ScriptPathProblem = "syntax" | "not-found" | "not-a-file" | "outside-root" | "extension";

export type ScriptPathResult =
  | { ok: true; path: string }
  | { ok: false; problem: ScriptPathProblem; message: string };

const SCHEME_RE = /^[a-z][a-z\d+.-]*:/i;

/**
 * The one place a script path is canonicalised and checked. `input` is resolved against
 * `baseDir` (absolute paths stay), then `realpath`ed; containment in `root` and the
 * extension are checked on that canonical path, which is the path that gets imported.
 * Schemes (`data:`, `node:`, `virtual:`…), queries, fragments and NUL bytes are refused
 * before the file system is touched.
 */
export function resolveScriptPath(root: string, input: string, baseDir: string = root): ScriptPathResult {
  const shown = JSON.stringify(input);
  if (input === "" || input.includes("\0") || input.includes("?") || input.includes("#") || SCHEME_RE.test(input)) {
    return refuse(
      "syntax",
      `Script ${shown} is not a file path. Give the path of a .ts or .js file inside the project, without a scheme, query or fragment.`,
    );
  }
  const canonicalRoot = realpathOrSelf(root);
  let canonical: string;
  try {
    canonical = realpathSync(path.resolve(baseDir, input));
  } catch {
    return refuse("not-found", `Script ${shown} not found (looked in ${baseDir}).`);
  }
  const relative = path.relative(canonicalRoot, canonical);
  if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    return refuse(
      "outside-root",
      `Script ${shown} is outside the project root ${canonicalRoot}. Scripts run with the app's bindings, so they must live inside the project: move it under ${canonicalRoot}.`,
    );
  }
  if (!statSync(canonical).isFile()) {
    return refuse("not-a-file", `Script ${shown} is not a file (${canonical}).`);
  }
  if (!(SCRIPT_EXTENSIONS as readonly string[]).includes(path.extname(canonical))) {
    return refuse(
      "extension",
      `Script ${shown} has an extension worker-run does not run. Use one of ${SCRIPT_EXTENSIONS.join(" ")}.`,
    );
  }
  return { ok: true, path: canonical };
}

function refuse(problem: ScriptPathProblem, message: string): ScriptPathResult {
  return { ok: false, problem, message };
}

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
