import MagicString from "magic-string";

/** The ESTree nodes the console's rewrite looks at; anything else is left as it is. */
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

type Parse = (code: string) => { body: unknown[] };

/** The name under which an entry's module reaches the session's scope object. */
const SCOPE = "__workerRunScope";
const RESULT = "__workerRunResult";

/** The names every session has from its start: the last result and the last error. */
export const SESSION_NAMES = ["_", "_error"];

/** An entry of the console, rewritten into a module; undefined when it does not parse. */
export interface ConsoleModule {
  code: string;
  /** The names the entry declares at its top level. */
  declared: string[];
}

/**
 * Rewrites one console entry into the default export of a module, so that what earlier entries
 * declared is in scope and what this one declares is kept for the next:
 * - the session's names are read from its scope object at the start (`let db = scope.db`),
 *   except those the entry declares again (which it may, as in a browser's console);
 * - top-level `import` statements become `await import()` of the same specifiers, so they
 *   resolve as in a script of the project's scripts folder;
 * - a last expression statement is the entry's result;
 * - every name is written back to the scope object at the end.
 * The entry's own lines keep their numbers (the added code goes at the end of line 1 and after
 * the last line), so stack frames point at what the developer typed. A `{ … }` entry is an
 * object literal, as in Node's REPL.
 */
export function createConsoleModule(entry: string, sessionNames: readonly string[], parse: Parse): ConsoleModule | undefined {
  const code = looksLikeObjectLiteral(entry, parse) ? `(${entry})` : entry;
  let body: Node[];
  try {
    body = parse(code).body as Node[];
  } catch {
    return undefined;
  }
  const source = new MagicString(code);
  const declared = new Set<string>();
  for (const statement of body) {
    if (statement.type === "VariableDeclaration") {
      for (const declaration of statement.declarations as Node[]) collectNames(declaration.id as Node, declared);
    } else if ((statement.type === "FunctionDeclaration" || statement.type === "ClassDeclaration") && statement.id) {
      declared.add((statement.id as { name: string }).name);
    } else if (statement.type === "ImportDeclaration") {
      source.overwrite(statement.start, statement.end, dynamicImport(statement, code, declared));
    }
  }
  const last = body.at(-1);
  const returnsLast = last?.type === "ExpressionStatement";
  if (returnsLast) {
    // The same text in place (its lines keep their numbers), as the value of a declaration.
    const text = code.slice(last.start, last.end).replace(/;\s*$/, "");
    source.overwrite(last.start, last.end, `const ${RESULT} = (${text}\n);`);
  }
  const names = [...new Set([...sessionNames, ...declared])];
  const carried = sessionNames.filter((name) => !declared.has(name));
  const header = [
    "export default async function consoleEntry({ env, args, ctx, signal, instance, state, scope: " + SCOPE + " }: any) {",
    carried.length ? ` let ${carried.map((name) => `${name} = ${SCOPE}.${name}`).join(", ")};` : "",
  ].join("");
  source.prepend(header);
  source.append(`\n;Object.assign(${SCOPE}, { ${names.join(", ")} });\nreturn ${returnsLast ? RESULT : "undefined"};\n}\n`);
  return { code: source.toString(), declared: [...declared] };
}

function looksLikeObjectLiteral(entry: string, parse: Parse): boolean {
  if (!/^\s*\{[\s\S]*\}\s*;?\s*$/.test(entry)) return false;
  try {
    parse(`(${entry.trim().replace(/;$/, "")})`);
    return true;
  } catch {
    return false;
  }
}

/** `import a, { b as c } from "m"` becomes `const { default: a, b: c } = await import("m");`. */
function dynamicImport(statement: Node, code: string, declared: Set<string>): string {
  const sourceNode = statement.source as Node;
  const specifier = code.slice(sourceNode.start, sourceNode.end);
  const specifiers = statement.specifiers as Node[];
  if (!specifiers.length) return `await import(${specifier});`;
  const fields: string[] = [];
  let namespace: string | undefined;
  for (const item of specifiers) {
    const local = (item.local as { name: string }).name;
    declared.add(local);
    if (item.type === "ImportNamespaceSpecifier") namespace = local;
    else if (item.type === "ImportDefaultSpecifier") fields.push(`default: ${local}`);
    else {
      const imported = item.imported as Node & { name?: string; value?: string };
      fields.push(`${imported.name !== undefined ? imported.name : JSON.stringify(imported.value)}: ${local}`);
    }
  }
  if (namespace === undefined) return `const { ${fields.join(", ")} } = await import(${specifier});`;
  return `const ${namespace} = await import(${specifier})${fields.length ? `, { ${fields.join(", ")} } = ${namespace}` : ""};`;
}

/** The names a declaration pattern binds: `a`, `{ b, c: [d, ...e] }`, `f = 1`. */
function collectNames(pattern: Node | null, names: Set<string>): void {
  if (!pattern) return;
  switch (pattern.type) {
    case "Identifier":
      names.add((pattern as unknown as { name: string }).name);
      break;
    case "ObjectPattern":
      for (const property of pattern.properties as Node[]) {
        collectNames((property.type === "RestElement" ? property.argument : property.value) as Node, names);
      }
      break;
    case "ArrayPattern":
      for (const element of pattern.elements as (Node | null)[]) collectNames(element, names);
      break;
    case "RestElement":
      collectNames(pattern.argument as Node, names);
      break;
    case "AssignmentPattern":
      collectNames(pattern.left as Node, names);
      break;
  }
}
