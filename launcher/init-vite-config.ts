import { generateCode, parseModule } from "magicast";

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
 * plugins of a Vite config, through magicast (Babel's parser and recast's printer), so that
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
  elements.push({ type: "CallExpression", callee: { type: "Identifier", name: local }, arguments: [] });
  if (!existing) mod.imports.$append({ from: PACKAGE, imported: "workerRun", local: "workerRun" });
  // recast sets a new statement apart with a blank line; among imports, one line is the style.
  const edited = generateCode(mod).code.replace(/(from ["'][^"'\n]+["'];?)\n\n(import \{ workerRun \} from "vite-plugin-worker-run";)/, "$1\n$2");
  return { kind: "added", code: code.endsWith("\n") && !edited.endsWith("\n") ? `${edited}\n` : edited };
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
