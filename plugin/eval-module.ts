import path from "node:path";
import { Script } from "node:vm";

/** The file names a snippet's and a console entry's modules stand under; no such file is ever written. */
const EVAL_FILE_NAME = "worker-run-eval.ts";
const CONSOLE_FILE_NAME = "worker-run-console.ts";

/**
 * Where a snippet of `--eval` stands: in the project's `src/scripts/`, so that its imports
 * resolve exactly as a script's there (aliases, tsconfig paths, which apply only to the files
 * a tsconfig includes, and bare packages), although nothing is written to disk.
 */
export function evalModulePath(root: string): string {
  return path.join(root, "src", "scripts", EVAL_FILE_NAME).replaceAll("\\", "/");
}

/** Where a console entry stands: beside a snippet, under a name of its own for stack frames. */
export function consoleModulePath(root: string): string {
  return path.join(root, "src", "scripts", CONSOLE_FILE_NAME).replaceAll("\\", "/");
}

/**
 * The module of a snippet: an expression becomes the result, statements the body of the
 * default export (`return` gives the result). `env`, `args`, `ctx`, `signal` and `input` are in scope,
 * and under `--do` `instance` and `state` (undefined elsewhere).
 * The snippet's first line stays on line 1, so stack frames name its own lines.
 */
export function createEvalModule(code: string): string {
  const head = "export default async function evalSnippet({ env, args, ctx, signal, input, instance, state }: any) {";
  return isExpression(code) ? `${head} return (${code}\n);\n}\n` : `${head}${code}\n}\n`;
}

/** Whether `code` parses as one JavaScript expression (await allowed). */
function isExpression(code: string): boolean {
  try {
    new Script(`(async () => (${code}\n))`);
    return true;
  } catch {
    return false;
  }
}
