import { Script } from "node:vm";

const ENTRY_FILE = "worker-run-console-entry";

/**
 * Whether an entry is unfinished (an open brace or call, an unfinished template): read another
 * line. Parsed (never run) as the body of an async arrow function, so top-level await is fine.
 * Unfinished: V8 reports the end of the input, an unfinished template or argument list on the
 * entry's last line, or a token of the closing line of that function (its `}` or `)` taken
 * for the entry's own). An `import` statement fails the parse elsewhere: finished.
 */
export function isIncomplete(code: string): boolean {
  try {
    new Script(`(async () => {\n${code}\n})`, { filename: ENTRY_FILE });
    return false;
  } catch (error) {
    if (!(error instanceof SyntaxError)) return false;
    const lines = code.replace(/\s+$/, "").split("\n").length;
    const line = Number(new RegExp(`^${ENTRY_FILE}:(\\d+)`).exec(error.stack ?? "")?.[1]);
    if (/Unexpected end of input|Unterminated template/.test(error.message)) return true;
    if (/\/\*(?![\s\S]*\*\/)/.test(code.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, ""))) return true; // An open block comment.
    if (/missing \) after argument list/.test(error.message) && line >= lines + 1) return true;
    return line > lines + 1 && line >= code.split("\n").length + 2;
  }
}

/** Tab: `env.` completes the binding names; otherwise the session's names, the context and globals. */
export function completeEntry(line: string, completions: { names: readonly string[]; bindings: readonly string[] }): [string[], string] {
  const member = /\benv\.([\w$]*)$/.exec(line);
  if (member) {
    const partial = member[1]!;
    return [completions.bindings.filter((name) => name.startsWith(partial)).map((name) => `env.${name}`), `env.${partial}`];
  }
  const word = /[\w$]+$/.exec(line)?.[0] ?? "";
  const candidates = [...new Set([...CONTEXT_NAMES, ...completions.names, ...WORKER_GLOBALS])].sort();
  return [candidates.filter((name) => name.startsWith(word)), word];
}

const CONTEXT_NAMES = ["env", "ctx", "signal", "instance", "state", "args"];
const WORKER_GLOBALS = Object.getOwnPropertyNames(globalThis).filter(
  (name) => /^[A-Za-z]/.test(name) && !["process", "Buffer", "require", "module", "global"].includes(name),
);
