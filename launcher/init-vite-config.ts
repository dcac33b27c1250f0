import MagicString from "magic-string";
import { parseModule } from "magicast";

/** What adding workerRun() to a Vite config came to. */
export type ConfigEdit =
  | { kind: "added"; code: string }
  | { kind: "present" }
  | { kind: "no-cloudflare" }
  | { kind: "cannot-edit"; reason: string };

/** The two lines to add by hand when the config cannot be edited safely. */
export const MANUAL_LINES = ['import { workerRun } from "vite-plugin-worker-run";', "plugins: [cloudflare(), workerRun()]"];

const PACKAGE = "vite-plugin-worker-run";

type Node = { type: string; [key: string]: unknown };

/**
 * Adds `import { workerRun } from "vite-plugin-worker-run"` and `workerRun()` at the end of the
 * plugins of a Vite config: magicast (Babel's parser) finds where, magic-string inserts, so that
 * everything it does not touch (formatting, comments) stays as it was. The config may be
 * `defineConfig({…})`, a plain object, a variable, or a function returning an object literal;
 * anything else (`plugins` built elsewhere, a config from another module) is left alone.
 */
export function addWorkerRun(code: string): ConfigEdit {
  let mod: ReturnType<typeof parseModule>;
  try {
    mod = parseModule(code);
  } catch (error) {
    return { kind: "cannot-edit", reason: `it does not parse (${error instanceof Error ? error.message : String(error)})` };
  }
  const imports = Object.values(mod.imports) as { from: string; imported: string; local: string }[];
  const cloudflare = imports.find((item) => item.from === "@cloudflare/vite-plugin" && item.imported === "cloudflare");
  if (!cloudflare) return { kind: "no-cloudflare" };
  const program = (mod.$ast as unknown as { body: Node[] }).body;
  const found = findConfigObject(program);
  if (typeof found === "string") return { kind: "cannot-edit", reason: found };
  const existing = imports.find((item) => item.from === PACKAGE && item.imported === "workerRun");
  const local = existing?.local ?? "workerRun";
  const properties = found.properties as Node[];
  const plugins = properties.find((property) => property.type === "ObjectProperty" && keyName(property.key as Node) === "plugins");
  if (plugins && (plugins.value as Node).type !== "ArrayExpression") return { kind: "cannot-edit", reason: "its plugins are not an array written in the config" };
  const elements = plugins ? ((plugins.value as Node).elements as (Node | null)[]) : [];
  if (existing && elements.some((element) => isCallOf(element, local))) return { kind: "present" };
  if (!elements.some((element) => isCallOf(element, cloudflare.local))) {
    return { kind: "cannot-edit", reason: `${cloudflare.local}() is not in its plugins array` };
  }
  // Two insertions into the text as written: a reprint would change the file's own formatting
  // (recast re-indents a tab-indented object, for one).
  const edited = new MagicString(code);
  const last = elements.filter((element): element is Node => element !== null).at(-1)!;
  edited.appendLeft(offsetOf(code, last, "end"), elementSeparator(code, plugins!.value as Node, last) + `${local}()`);
  if (!existing) {
    const lastImport = program.filter((node) => node.type === "ImportDeclaration").at(-1)!;
    const end = offsetOf(code, lastImport, "end");
    // In the file's own style: its last import's quotes, and its semicolon or none.
    const written = code.slice(offsetOf(code, lastImport, "start"), end);
    const quote = /from\s*'/.test(written) ? "'" : '"';
    const semicolon = written.trimEnd().endsWith(";") ? ";" : "";
    edited.appendLeft(end, `\nimport { workerRun } from ${quote}${PACKAGE}${quote}${semicolon}`);
  }
  return { kind: "added", code: edited.toString() };
}

/**
 * What goes between the plugins' last element and `workerRun()`: `, ` in an array written on one
 * line; in one written an element a line, a comma, a new line and that element's indentation.
 */
function elementSeparator(code: string, array: Node, last: Node): string {
  const arrayStart = offsetOf(code, array, "start");
  const lastStart = offsetOf(code, last, "start");
  if (!code.slice(arrayStart, lastStart).includes("\n")) return ", ";
  const lineStart = code.lastIndexOf("\n", lastStart - 1) + 1;
  const indentation = /^[ \t]*/.exec(code.slice(lineStart, lastStart))![0];
  return `,\n${indentation}`;
}

/** recast's parser counts a tab of a line's indentation as 4 columns. */
const INDENT_TAB_WIDTH = 4;

/**
 * Where a node starts or ends in `code`. From its line and column: recast hands the parser the
 * text with each indentation tab widened to 4 columns, so its offsets are not the file's.
 */
function offsetOf(code: string, node: Node, edge: "start" | "end"): number {
  const position = (node.loc as { start: { line: number; column: number }; end: { line: number; column: number } } | undefined)?.[edge];
  if (!position) throw new Error(`Expected the parser to give the ${edge} of a ${node.type}.`);
  let lineStart = 0;
  for (let line = 1; line < position.line; line++) lineStart = code.indexOf("\n", lineStart) + 1;
  const indentation = /^[ \t]*/.exec(code.slice(lineStart))![0];
  let offset = lineStart;
  let column = 0;
  for (const character of indentation) {
    if (column >= position.column) break;
    column += character === "\t" ? INDENT_TAB_WIDTH - (column % INDENT_TAB_WIDTH) : 1;
    offset++;
  }
  return offset + (position.column - column);
}

/** The object literal the config's default export comes to, or why there is none to edit. */
function findConfigObject(program: Node[]): Node | string {
  const exported = program.find((node) => node.type === "ExportDefaultDeclaration");
  if (!exported) return "it has no default export";
  let node = exported.declaration as Node;
  for (let depth = 0; depth < 8; depth++) {
    switch (node.type) {
      case "ObjectExpression":
        return node;
      case "TSSatisfiesExpression":
      case "TSAsExpression":
      case "ParenthesizedExpression":
        node = node.expression as Node;
        break;
      case "CallExpression": {
        // Only Vite's own helper is known to hand its argument through; another call builds the config elsewhere.
        const callee = node.callee as Node;
        const calleeName = callee.type === "Identifier" ? callee.name : callee.type === "MemberExpression" ? (callee.property as Node).name : undefined;
        if (calleeName !== "defineConfig") return "its config is built by a call it does not know";
        const [argument] = node.arguments as Node[];
        if (!argument) return "its config call has no argument";
        node = argument;
        break;
      }
      case "ArrowFunctionExpression":
      case "FunctionExpression":
      case "FunctionDeclaration": {
        const body = node.body as Node;
        if (body.type !== "BlockStatement") {
          node = body;
          break;
        }
        const returns = returnsOf(body);
        if (returns.length !== 1 || !returns[0]!.argument) return "its config function does not return one object literal";
        node = returns[0]!.argument as Node;
        break;
      }
      case "Identifier": {
        const init = findDeclaration(program, node.name as string);
        if (!init) return `its default export ${String(node.name)} is not declared in the file`;
        node = init;
        break;
      }
      default:
        return `its default export is ${node.type}, not an object it can edit`;
    }
  }
  return "its config is nested too deeply";
}

/** The return statements of a function body, nested blocks included, nested functions not. */
function returnsOf(node: Node): Node[] {
  if (node.type === "ReturnStatement") return [node];
  if (/Function/.test(node.type)) return [];
  const found: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "loc" || key === "start" || key === "end" || key === "extra") continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child === "object" && typeof (child as Node).type === "string") found.push(...returnsOf(child as Node));
    }
  }
  return found;
}

function findDeclaration(program: Node[], name: string): Node | undefined {
  for (const statement of program) {
    if (statement.type === "FunctionDeclaration" && (statement.id as Node | null)?.name === name) return statement;
    if (statement.type !== "VariableDeclaration") continue;
    for (const declarator of statement.declarations as Node[]) {
      if ((declarator.id as Node).type === "Identifier" && (declarator.id as Node).name === name && declarator.init) return declarator.init as Node;
    }
  }
  return undefined;
}

function keyName(key: Node): string | undefined {
  if (key.type === "Identifier") return key.name as string;
  if (key.type === "StringLiteral") return key.value as string;
  return undefined;
}

function isCallOf(node: Node | null, name: string): boolean {
  return node?.type === "CallExpression" && (node.callee as Node).type === "Identifier" && (node.callee as Node).name === name;
}
