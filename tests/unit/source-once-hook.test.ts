/**
 * The launcher's module hook (launcher/source-once-hook.ts): an imported .js file without a
 * package.json "type" has its text read once and handed to Node's load step, so that Node's
 * format detection and its CommonJS loader share one copy instead of keeping two. First what the
 * hook passes on for each kind of load, then Node's real loader in a child process: a typeless
 * CommonJS package of a few megabytes imported with the hook holds its text once, and imports as
 * before (named exports, default, a typeless ES module beside it, `require()` of the same file).
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import module from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadTypelessSourceOnce } from "../../launcher/source-once-hook.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { describeRun, spawnCaptured } from "../helpers/run-cli.js";

const SUPPORTED = typeof (module as { registerHooks?: unknown }).registerHooks === "function";
const IMPORT = ["node", "import", "module-sync", "node-addons"];
const REQUIRE = ["node", "require", "module-sync", "node-addons"];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "worker-run-source-once-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Context = module.LoadHookContext & { source?: unknown };

/** Calls the hook with a next step that records the context it gets. */
function passedOn(url: string, context: Context): Context {
  let seen: Context | undefined;
  const result = loadTypelessSourceOnce(url, context, (_url, next) => {
    seen = next as Context;
    return { format: "commonjs", source: "" };
  });
  expect(result).toEqual({ format: "commonjs", source: "" });
  return seen!;
}

describe("what the hook passes on", () => {
  test("an imported .js file of unknown format: its text, decoded as Node does (BOM dropped), the rest of the context kept", async () => {
    const file = path.join(dir, "typeless.js");
    await writeFile(file, "\uFEFFexports.answer = 'é';\n");
    const context: Context = { format: undefined, conditions: IMPORT, importAttributes: {} };
    expect(passedOn(pathToFileURL(file).href, context)).toEqual({ ...context, source: "exports.answer = 'é';\n" });
  });

  test.each([
    ["a known format (a package with a type)", "known.js", { format: "commonjs", conditions: IMPORT }],
    ["a require() (its loader reads the file itself)", "required.js", { format: undefined, conditions: REQUIRE }],
    ["a .mjs file", "module.mjs", { format: undefined, conditions: IMPORT }],
    ["a .cjs file", "common.cjs", { format: undefined, conditions: IMPORT }],
    ["a .json file", "data.json", { format: undefined, conditions: IMPORT }],
  ])("%s: the context untouched", async (_label, name, partial) => {
    const file = path.join(dir, name);
    await writeFile(file, "exports.x = 1;\n");
    const context = { ...partial, importAttributes: {} } as Context;
    expect(passedOn(pathToFileURL(file).href, context)).toBe(context);
  });

  test("a URL that is not a file, or a file that cannot be read: the context untouched, so Node reports it", () => {
    for (const url of ["node:fs", "data:text/javascript,export%20default%201", pathToFileURL(path.join(dir, "missing.js")).href]) {
      const context: Context = { format: undefined, conditions: IMPORT, importAttributes: {} };
      expect(passedOn(url, context), url).toBe(context);
    }
  });
});

describe("in Node's loader", () => {
  // Enough text that a second copy stands out from everything else the child allocates.
  const FUNCTIONS = 60_000;

  beforeAll(async () => {
    const big = path.join(dir, "node_modules", "big");
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, "package.json"), JSON.stringify({ name: "big", main: "index.js" })); // No "type".
    const lines = ["'use strict';"];
    for (let i = 0; i < FUNCTIONS; i++) lines.push(`function f${i}() { return ${i} + "${"x".repeat(60)}"; }`);
    lines.push("exports.answer = 42;", "module.exports.greet = (name) => `hello ${name}`;");
    await writeFile(path.join(big, "index.js"), lines.join("\n"));
    const esm = path.join(dir, "node_modules", "typeless-esm");
    await mkdir(esm, { recursive: true });
    await writeFile(path.join(esm, "package.json"), JSON.stringify({ name: "typeless-esm", main: "index.js" }));
    await writeFile(path.join(esm, "index.js"), "export const kind = 'esm';\n");
  });

  /** Imports both packages in a child Node (with or without the hook) and reports what it saw. */
  async function importInChild(withHook: boolean): Promise<{ sourceBytes: number; externalGrowth: number; answer: number; greeting: string; kind: string; sameAsRequire: boolean }> {
    const hook = pathToFileURL(path.join(REPO_ROOT, "launcher/source-once-hook.ts")).href;
    const program = `
      import { createRequire } from "node:module";
      import { statSync } from "node:fs";
      ${withHook ? `import { registerSourceOnceHook } from ${JSON.stringify(hook)}; if (!registerSourceOnceHook()) throw new Error("not registered");` : ""}
      gc(); gc();
      const before = process.memoryUsage().external;
      const big = await import("big");
      gc(); gc();
      const externalGrowth = process.memoryUsage().external - before;
      const { kind } = await import("typeless-esm");
      const require = createRequire(import.meta.url);
      console.log(JSON.stringify({
        sourceBytes: statSync(require.resolve("big")).size,
        externalGrowth,
        answer: big.answer,
        greeting: big.greet("you"),
        kind,
        sameAsRequire: require("big") === big.default,
      }));
    `;
    const child = spawnCaptured(process.execPath, ["--expose-gc", "--input-type=module", "--eval", program], { cwd: dir });
    const result = await child.exited;
    expect(result.code, describeRun(result)).toBe(0);
    return JSON.parse(result.stdout) as Awaited<ReturnType<typeof importInChild>>;
  }

  test(
    SUPPORTED
      ? "a typeless CommonJS package imported with the hook holds its text once, and imports as before"
      : "on this Node (no synchronous module hooks) the launcher registers nothing",
    async () => {
      if (!SUPPORTED) {
        const { registerSourceOnceHook } = await import("../../launcher/source-once-hook.js");
        expect(registerSourceOnceHook()).toBe(false);
        return;
      }
      const [hooked, plain] = [await importInChild(true), await importInChild(false)];
      expect(hooked).toMatchObject({ answer: 42, greeting: "hello you", kind: "esm", sameAsRequire: true });
      expect(plain).toMatchObject({ answer: 42, greeting: "hello you", kind: "esm", sameAsRequire: true });
      // The text is ASCII, one byte a character in V8: one copy is sourceBytes, two are twice that.
      const copies = (growth: number): string => (growth / hooked.sourceBytes).toFixed(2);
      expect(
        hooked.externalGrowth,
        `with the hook ${copies(hooked.externalGrowth)} copies of the source, without ${copies(plain.externalGrowth)}`,
      ).toBeLessThan(1.5 * hooked.sourceBytes);
    },
  );
});
