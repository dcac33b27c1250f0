// plugin/console-module.ts: how a console entry becomes a module that keeps the session's
// declarations. Parsed with Vite's own parser, as the plugin does; the module text is checked by
// running it (as an async function body) against a scope object.
import { parseAst } from "vite";
import { describe, expect, test } from "vitest";
import { createConsoleModule, SESSION_NAMES } from "../../plugin/console-module.js";

const parse = (code: string) => parseAst(code) as unknown as { body: unknown[] };
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;

/** Runs the module's default export the way the dispatcher does, with `imports` for `import()`. */
async function run(code: string, scope: Record<string, unknown>, env: unknown = {}, imports: Record<string, unknown> = {}): Promise<unknown> {
  const body = code
    .replace(/^export default async function consoleEntry\(\{[^}]*\}: any\) \{/, "")
    .replace(/\}\n$/, "")
    .replaceAll("await import(", "await __import(");
  const entry = new AsyncFunction("env", "__workerRunScope", "__import", body);
  return entry(env, scope, async (specifier: string) => imports[specifier]);
}

function module(entry: string, names: readonly string[] = SESSION_NAMES) {
  const rewritten = createConsoleModule(entry, names, parse);
  if (!rewritten) throw new Error(`did not parse: ${entry}`);
  return rewritten;
}

describe("createConsoleModule", () => {
  test("the entry's lines keep their numbers: the header and the read-back share line 1", () => {
    const { code } = module("const a = 1\nconst b = a + 1\nb", ["_", "_error", "x"]);
    const lines = code.split("\n");
    expect(lines[0]).toMatch(/^export default async function consoleEntry\(.*\) \{ let _ = __workerRunScope\._, _error = __workerRunScope\._error, x = __workerRunScope\.x;const a = 1$/);
    expect(lines[1]).toBe("const b = a + 1");
    expect(lines[2]).toMatch(/^const __workerRunResult = \(b$/);
  });

  test("declarations of every kind are written back to the scope, and read back by the next entry", async () => {
    const scope: Record<string, unknown> = {};
    const first = module("const a = 1; let { b, c: [d, ...rest] } = { b: 2, c: [3, 4, 5] }; var e = 6\nfunction f() { return a + b }\nclass G {}");
    expect(first.declared.sort()).toEqual(["G", "a", "b", "d", "e", "f", "rest"]);
    expect(await run(first.code, scope)).toBeUndefined();
    expect(Object.keys(scope).sort()).toEqual(["G", "_", "_error", "a", "b", "d", "e", "f", "rest"]);
    const names = [...SESSION_NAMES, ...first.declared];
    expect(await run(module("f() + d + rest.length", names).code, scope)).toBe(3 + 3 + 2);
    // A name declared again is the new one (as in a browser's console), not a SyntaxError.
    expect(await run(module("const a = 10\na", names).code, scope)).toBe(10);
  });

  test("the last expression statement is the result; a statement ends with undefined", async () => {
    expect(await run(module("1 + 1").code, {})).toBe(2);
    expect(await run(module("const x = 5;\nx * 2;").code, {})).toBe(10);
    expect(await run(module("if (true) { 1 }").code, {})).toBeUndefined();
    expect(await run(module("await Promise.resolve(7)").code, {})).toBe(7);
  });

  test("a { … } entry is an object literal, as in Node's REPL", async () => {
    expect(await run(module("{ a: 1, b: [2] }").code, {})).toEqual({ a: 1, b: [2] });
  });

  test("imports become import() of the same specifier, every form", async () => {
    const { code, declared } = module(
      'import d, { x as y, "z" as w } from "./m"\nimport * as ns from "@/db"\nimport "side-effect"\nimport dd, * as ns2 from "./m"\n[d, y, w, ns.k, dd, ns2.x]',
    );
    expect(declared.sort()).toEqual(["d", "dd", "ns", "ns2", "w", "y"]);
    const m = { default: "D", x: "X", z: "Z" };
    expect(await run(code, {}, {}, { "./m": m, "@/db": { k: "K" }, "side-effect": {} })).toEqual(["D", "X", "Z", "K", "D", "X"]);
  });

  test("an entry that does not parse is left to the caller (served as a snippet, for Vite's error)", () => {
    expect(createConsoleModule("const = 1", SESSION_NAMES, parse)).toBeUndefined();
  });
});
