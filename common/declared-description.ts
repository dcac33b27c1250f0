/**
 * Reads a declared script's `description` from its source, without running it:
 * `defineScript({ description: "…", … }, fn)`, or a declaration in a `const` the call names. A
 * small scanner, not a parser: it finds the first `defineScript(` (or `defineObjectScript(`)
 * call whose first argument is an object literal (or that constant's), walks that object's
 * top level (skipping strings, templates, comments and nested brackets) and takes the
 * `description` property when its value is a plain string literal. Anything else (a variable,
 * a template with `${…}`) gives undefined, and `--list` falls back to the doc comment.
 */

const CALL_RE = /\bdefine(?:Object)?Script\s*(?:<[^()]*>\s*)?\(\s*\{/g;
/** The call with the declaration in a constant: `defineObjectScript<typeof declaration, Env, Counter>(declaration, fn)`. */
const CALL_WITH_NAME_RE = /\bdefine(?:Object)?Script\s*(?:<[^()]*>\s*)?\(\s*([A-Za-z_$][\w$]*)\s*,/g;

/** The declared description of the script source `code`, or undefined. */
export function declaredDescription(code: string): string | undefined {
  for (const match of code.matchAll(CALL_RE)) {
    const found = descriptionIn(code, match.index + match[0].length);
    if (found !== undefined) return found;
  }
  for (const match of code.matchAll(CALL_WITH_NAME_RE)) {
    // `const declaration = {` (a type annotation allowed) at the top of the module.
    const declared = new RegExp(`(?:^|\\n)\\s*(?:export\\s+)?const\\s+${match[1]!.replaceAll("$", "\\$")}\\s*(?::[^=\\n]*)?=\\s*\\{`).exec(code);
    const found = declared ? descriptionIn(code, declared.index + declared[0].length) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Scans the object literal whose `{` is just before `start`. */
function descriptionIn(code: string, start: number): string | undefined {
  let depth = 1;
  let expectKey = true;
  for (let at = start; at < code.length && depth > 0; ) {
    const char = code[at]!;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    if (code.startsWith("//", at)) {
      at = lineEnd(code, at);
      continue;
    }
    if (code.startsWith("/*", at)) {
      at = code.indexOf("*/", at + 2) === -1 ? code.length : code.indexOf("*/", at + 2) + 2;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") {
      const literal = readString(code, at);
      if (!literal) return undefined;
      if (depth === 1 && expectKey && literal.value === "description" && nextChar(code, literal.end) === ":") {
        return valueAt(code, code.indexOf(":", literal.end) + 1);
      }
      at = literal.end;
      expectKey = false;
      continue;
    }
    if (/[A-Za-z_$]/.test(char)) {
      const word = /^[\w$]+/.exec(code.slice(at, at + 64))![0];
      const end = at + word.length;
      if (depth === 1 && expectKey && word === "description" && nextChar(code, end) === ":") {
        return valueAt(code, code.indexOf(":", end) + 1);
      }
      at = end;
      expectKey = false;
      continue;
    }
    if ("{[(".includes(char)) depth++;
    else if ("}])".includes(char)) depth--;
    else if (char === "," && depth === 1) expectKey = true;
    at++;
  }
  return undefined;
}

/** A string literal's value (no `${…}` in a template), if one starts at `at` (after spaces and comments). */
function valueAt(code: string, at: number): string | undefined {
  const rest = code.slice(at).replace(/^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/, "");
  const literal = readString(rest, 0);
  if (!literal || literal.template) return undefined;
  if (!/^\s*(?:[,}]|\/[/*])/.test(rest.slice(literal.end))) return undefined; // `"a" + b` is not a literal.
  return literal.value;
}

/** Reads a string or template literal starting at `at`; `template` when it has `${…}`. */
function readString(code: string, at: number): { value: string; end: number; template: boolean } | undefined {
  const quote = code[at];
  if (quote !== '"' && quote !== "'" && quote !== "`") return undefined;
  let value = "";
  let template = false;
  for (let index = at + 1; index < code.length; index++) {
    const char = code[index]!;
    if (char === quote) return { value, end: index + 1, template };
    if (char === "\n" && quote !== "`") return undefined;
    if (quote === "`" && char === "$" && code[index + 1] === "{") template = true;
    if (char === "\\") {
      const next = code[++index] ?? "";
      value += ESCAPES[next] ?? (next === "\n" ? "" : next);
      continue;
    }
    value += char;
  }
  return undefined;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0" };

function lineEnd(code: string, at: number): number {
  const end = code.indexOf("\n", at);
  return end === -1 ? code.length : end;
}

function nextChar(code: string, at: number): string | undefined {
  return /^\s*(.)/.exec(code.slice(at, at + 200))?.[1];
}
