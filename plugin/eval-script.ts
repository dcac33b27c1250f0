import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Script } from "node:vm";

/** A snippet of `--eval`, written as a script file that the run imports like any other. */
export interface EvalScript {
  /** Absolute path of the file, inside the project (so the usual path checks apply). */
  path: string;
  remove(): void;
}

/**
 * Writes `code` as a script under `node_modules/.cache/worker-run/` of the project, which
 * Vite's watcher ignores: an expression becomes the script's result, statements its body
 * (`return` gives the result). `env`, `args`, `ctx` and `signal` are in scope.
 */
export function writeEvalScript(root: string, code: string): EvalScript {
  const directory = path.join(root, "node_modules", ".cache", "worker-run");
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `eval-${randomUUID()}.ts`);
  const body = isExpression(code) ? `  return (\n${code}\n  );` : code;
  writeFileSync(
    file,
    `export default async function evalSnippet({ env, args, ctx, signal }: any) {\n${body}\n}\n`,
    { mode: 0o600 },
  );
  return { path: file, remove: () => rmSync(file, { force: true }) };
}

/** Whether `code` parses as one JavaScript expression (await allowed). */
function isExpression(code: string): boolean {
  try {
    new Script(`(async () => (\n${code}\n))`);
    return true;
  } catch {
    return false;
  }
}
