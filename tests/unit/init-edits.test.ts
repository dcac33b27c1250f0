// launcher/init-vite-config.ts and launcher/init-tasks.ts: the edits `--init` makes, on text.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "jsonc-parser";
import { afterAll, describe, expect, test } from "vitest";
import { mergeTasks } from "../../launcher/init-tasks.js";
import { addWorkerRun } from "../../launcher/init-vite-config.js";

const CF = 'import { cloudflare } from "@cloudflare/vite-plugin";\n';
const IMPORT = 'import { workerRun } from "vite-plugin-worker-run";\n';

describe("addWorkerRun", () => {
  test.each<[string, string, string]>([
    ["defineConfig({ … })", `${CF}import { defineConfig } from "vite";\n\nexport default defineConfig({\n  plugins: [cloudflare()],\n});\n`, `${CF}import { defineConfig } from "vite";\n${IMPORT}\nexport default defineConfig({\n  plugins: [cloudflare(), workerRun()],\n});\n`],
    ["a plain object", `${CF}export default { plugins: [cloudflare()] };\n`, `${CF}${IMPORT}export default { plugins: [cloudflare(), workerRun()] };\n`],
    ["a variable with satisfies", `${CF}const config = { plugins: [cloudflare()] } satisfies UserConfig;\nexport default config;\n`, `${CF}${IMPORT}const config = { plugins: [cloudflare(), workerRun()] } satisfies UserConfig;\nexport default config;\n`],
    ["an arrow function with an object body", `${CF}export default defineConfig(() => ({ plugins: [cloudflare()] }));\n`, `${CF}${IMPORT}export default defineConfig(() => ({ plugins: [cloudflare(), workerRun()] }));\n`],
    ["a function with one return", `${CF}export default defineConfig(function () {\n  return { plugins: [cloudflare()] };\n});\n`, `${CF}${IMPORT}export default defineConfig(function () {\n  return { plugins: [cloudflare(), workerRun()] };\n});\n`],
  ])("%s: the import and the call added, the rest as it was", (_shape, before, after) => {
    expect(addWorkerRun(before)).toEqual({ kind: "added", code: after });
    expect(addWorkerRun(after)).toEqual({ kind: "present" });
  });

  test("a tab-indented config keeps its tabs; an array written an element a line gets one more line", () => {
    const before = `${CF}import { defineConfig } from "vite";\n\nexport default defineConfig({\n\tplugins: [\n\t\treact(),\n\t\tcloudflare(),\n\t],\n\tserver: {\n\t\tport: 1,\n\t},\n});\n`;
    const after = `${CF}import { defineConfig } from "vite";\n${IMPORT}\nexport default defineConfig({\n\tplugins: [\n\t\treact(),\n\t\tcloudflare(),\n\t\tworkerRun(),\n\t],\n\tserver: {\n\t\tport: 1,\n\t},\n});\n`;
    expect(addWorkerRun(before)).toEqual({ kind: "added", code: after });
  });

  test("the import is written in the file's style: single quotes, no semicolons", () => {
    const before = "import { cloudflare } from '@cloudflare/vite-plugin'\nimport { defineConfig } from 'vite'\n\nexport default defineConfig({\n  plugins: [cloudflare()]\n})\n";
    const after = "import { cloudflare } from '@cloudflare/vite-plugin'\nimport { defineConfig } from 'vite'\nimport { workerRun } from 'vite-plugin-worker-run'\n\nexport default defineConfig({\n  plugins: [cloudflare(), workerRun()]\n})\n";
    expect(addWorkerRun(before)).toEqual({ kind: "added", code: after });
  });

  test("an import of workerRun under another name is used as it is", () => {
    const before = `${CF}import { workerRun as run } from "vite-plugin-worker-run";\nexport default { plugins: [cloudflare()] };\n`;
    expect(addWorkerRun(before)).toEqual({ kind: "added", code: before.replace("[cloudflare()]", "[cloudflare(), run()]") });
  });

  test("comments stay where they were", () => {
    const before = `${CF}// top\nexport default defineConfig({\n  /* the plugins */\n  plugins: [cloudflare()], // trailing\n});\n`;
    const edited = addWorkerRun(before);
    expect(edited.kind).toBe("added");
    const code = (edited as { code: string }).code;
    for (const comment of ["// top", "/* the plugins */", "// trailing"]) expect(code).toContain(comment);
  });

  test.each<[string, string, string]>([
    ["plugins built elsewhere", `${CF}const plugins = [cloudflare()];\nexport default defineConfig({ plugins });\n`, "its plugins are not an array written in the config"],
    ["a config from another call", `${CF}import { make } from "./c";\nexport default make({ plugins: [cloudflare()] });\n`, "its config is built by a call it does not know"],
    ["a function with two returns", `${CF}export default defineConfig(({ mode }) => {\n  if (mode) return { plugins: [cloudflare()] };\n  return {};\n});\n`, "its config function does not return one object literal"],
    ["cloudflare() not in the plugins", `${CF}export default defineConfig({ plugins: [] });\n`, "cloudflare() is not in its plugins array"],
    ["no default export", `${CF}export const config = {};\n`, "it has no default export"],
  ])("%s: cannot edit, and says why", (_shape, code, reason) => {
    expect(addWorkerRun(code)).toEqual({ kind: "cannot-edit", reason });
  });

  test("no @cloudflare/vite-plugin import: not a Cloudflare Vite config", () => {
    expect(addWorkerRun('export default { plugins: [] };\n')).toEqual({ kind: "no-cloudflare" });
  });
});

describe("mergeTasks", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "worker-run-init-"));
  mkdirSync(path.join(root, "src/scripts"), { recursive: true });
  writeFileSync(path.join(root, "src/scripts/seed.ts"), "export default () => 1;\n");
  writeFileSync(path.join(root, "src/scripts/fix.ts"), "/** worker-run --do ROOMS:lobby fix */\nexport default defineObjectScript(() => 1);\n");
  const scripts = [
    { name: "fix", path: "src/scripts/fix.ts", description: undefined, worker: null },
    { name: "seed", path: "src/scripts/seed.ts", description: undefined, worker: null },
  ];
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("a --do script's task asks for its object, with the doc comment's example as default", () => {
    const edit = mergeTasks(undefined, root, scripts);
    expect(edit.kind).toBe("written");
    const file = parse((edit as { text: string }).text) as { tasks: { label: string; args: string[] }[]; inputs: unknown[] };
    expect(file.tasks.find((task) => task.label === "worker-run: fix")!.args).toEqual(["worker-run", "--do", "${input:workerRunDurableObject}", "fix"]);
    expect(file.tasks.find((task) => task.label === "worker-run: seed")!.args).toEqual(["worker-run", "seed"]);
    expect(file.inputs).toEqual([expect.objectContaining({ id: "workerRunDurableObject", default: "ROOMS:lobby" })]);
  });

  test("into a file with comments and no tasks key: added, comments kept; then unchanged", () => {
    const existing = '{\n  // mine\n  "version": "2.0.0"\n}\n';
    const edit = mergeTasks(existing, root, scripts);
    expect(edit.kind).toBe("written");
    const text = (edit as { text: string }).text;
    expect(text).toContain("// mine");
    expect((parse(text) as { tasks: unknown[] }).tasks).toHaveLength(3);
    expect(mergeTasks(text, root, scripts)).toEqual({ kind: "unchanged" });
  });

  test("a file that is not JSON, or whose tasks are not an array, is left alone", () => {
    expect(mergeTasks("{ tasks: [", root, scripts)).toEqual({ kind: "cannot-edit", reason: "it is not a JSON object (with comments)" });
    expect(mergeTasks('{ "tasks": {} }', root, scripts)).toEqual({ kind: "cannot-edit", reason: "its tasks are not an array" });
  });
});
