// `worker-run --init` on copies of real projects: the examples with workerRun() taken out, a
// config written as a function, a config with comments, an existing .vscode/tasks.json with
// comments, a config it cannot edit, a project without scripts. Each time the script it points
// to runs (real workerd, exit 0), and a second --init changes no byte.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "jsonc-parser";
import { afterEach, describe, expect, test } from "vitest";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { usesWorkerRun, withoutWorkerRun } from "../helpers/vite-config.js";

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.remove()));
});

/** A copy of an example without workerRun() in its config and without its editor tasks. */
async function exampleWithout(example: string): Promise<TempProject> {
  const project = await copyProject(path.join(EXAMPLES_DIR, example), `init-${example}`);
  projects.push(project);
  const config = path.join(project.dir, "vite.config.mts");
  writeFileSync(config, withoutWorkerRun(readFileSync(config, "utf8"), config));
  rmSync(path.join(project.dir, ".vscode"), { recursive: true, force: true });
  return project;
}

/** Every file of the project but its local state, with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      if (name === ".wrangler" || name === "node_modules") continue;
      const file = path.join(folder, name);
      if (statSync(file).isDirectory()) walk(file);
      else files.set(path.relative(dir, file), readFileSync(file, "latin1"));
    }
  };
  walk(dir);
  return files;
}

const init = (dir: string): Promise<CliResult> => runCli(["--init"], { cwd: dir });

/** --init, then the script it points to runs (exit 0), then a second --init changes nothing. */
async function initAndRun(dir: string): Promise<CliResult> {
  const first = await init(dir);
  expect(first.code, describeRun(first)).toBe(0);
  const next = /^Next: npx worker-run (\S+)$/m.exec(first.stdout)?.[1];
  expect(next, describeRun(first)).toBeDefined();
  const run = await runCli(["--no-attach", next!], { cwd: dir });
  expect(run.code, describeRun(run)).toBe(0);
  const before = snapshot(dir);
  const second = await init(dir);
  expect(second.code, describeRun(second)).toBe(0);
  expect(second.stdout).toContain("Nothing to change: worker-run is set up here.");
  expect(snapshot(dir)).toEqual(before);
  return first;
}

describe("--init", () => {
  test.each(["d1-seed", "durable-object-sqlite"])("examples/%s without workerRun(): added, tasks written, a script runs", async (example) => {
    const project = await exampleWithout(example);
    const first = await initAndRun(project.dir);
    expect(first.stdout).toContain("vite.config.mts: added workerRun() to the plugins, and its import");
    expect(first.stdout).toContain('.vscode/tasks.json: added the tasks "worker-run: current file"');
    const config = readFileSync(path.join(project.dir, "vite.config.mts"), "utf8");
    expect(usesWorkerRun(config)).toBe(true);
    expect(config).toContain('import { workerRun } from "vite-plugin-worker-run";\n');
    // The tasks are the ones the example ships.
    expect(readFileSync(path.join(project.dir, ".vscode/tasks.json"), "utf8")).toBe(
      readFileSync(path.join(EXAMPLES_DIR, example, ".vscode/tasks.json"), "utf8"),
    );
  });

  test("a config written as a function, and one with comments: edited, everything else kept", async () => {
    const project = await exampleWithout("d1-seed");
    const config = path.join(project.dir, "vite.config.mts");
    const original = [
      'import { fileURLToPath } from "node:url";',
      'import { cloudflare } from "@cloudflare/vite-plugin";',
      'import { defineConfig } from "vite";',
      "",
      "// The app's config: the alias is for the scripts too.",
      "export default defineConfig(({ mode }) => {",
      "  /* one place for the plugins */",
      "  const alias = { \"@\": fileURLToPath(new URL(\"./src\", import.meta.url)) };",
      "  return {",
      "    resolve: { alias }, // keep me",
      "    define: { __MODE__: JSON.stringify(mode) },",
      "    plugins: [cloudflare({ inspectorPort: false })],",
      "  };",
      "});",
      "",
    ].join("\n");
    writeFileSync(config, original);
    await initAndRun(project.dir);
    const edited = readFileSync(config, "utf8");
    expect(edited).toBe(
      original
        .replace('import { defineConfig } from "vite";', 'import { defineConfig } from "vite";\nimport { workerRun } from "vite-plugin-worker-run";')
        .replace("plugins: [cloudflare({ inspectorPort: false })],", "plugins: [cloudflare({ inspectorPort: false }), workerRun()],"),
    );
  });

  test("an existing .vscode/tasks.json with comments and a task of its own: merged, its comments and task kept", async () => {
    const project = await exampleWithout("d1-seed");
    const tasksPath = path.join(project.dir, ".vscode/tasks.json");
    mkdirSync(path.dirname(tasksPath), { recursive: true });
    const original = [
      "{",
      "  // Our own build task.",
      '  "version": "2.0.0",',
      '  "tasks": [',
      "    /* lint first */",
      '    { "label": "lint", "type": "shell", "command": "npm run lint" },',
      "  ],",
      "}",
      "",
    ].join("\n");
    writeFileSync(tasksPath, original);
    await initAndRun(project.dir);
    const merged = readFileSync(tasksPath, "utf8");
    expect(merged).toContain("// Our own build task.");
    expect(merged).toContain("/* lint first */");
    const tasks = (parse(merged) as { tasks: { label: string; problemMatcher?: unknown }[] }).tasks;
    expect(tasks.map((task) => task.label)).toEqual(["lint", "worker-run: current file", "worker-run: seed"]);
    expect(tasks[1]!.problemMatcher).toMatchObject({ owner: "worker-run" });
  });

  test("a project without scripts gets a first one that reads a binding it has, and it runs", async () => {
    const project = await exampleWithout("d1-seed");
    rmSync(path.join(project.dir, "src/scripts"), { recursive: true });
    const first = await initAndRun(project.dir);
    expect(first.stdout).toContain("src/scripts/hello.ts: a first script, which lists the tables of the D1 database DB");
    expect(first.stdout).toContain("Next: npx worker-run hello");
    expect(readFileSync(path.join(project.dir, "src/scripts/hello.ts"), "utf8")).toContain("env.DB.prepare(");
  });

  test("a config it cannot edit (built elsewhere): left untouched, the two lines to add by hand, exit 2", async () => {
    const project = await exampleWithout("d1-seed");
    const config = path.join(project.dir, "vite.config.mts");
    const original = [
      'import { cloudflare } from "@cloudflare/vite-plugin";',
      'import { makeConfig } from "./shared-config";',
      "",
      "const config = makeConfig({ plugins: [cloudflare()] });",
      "export default config;",
      "",
    ].join("\n");
    writeFileSync(config, original);
    const result = await init(project.dir);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toContain("worker-run: Left vite.config.mts as it is: its config is built by a call it does not know. Add these two by hand:");
    expect(result.stderr).toContain('  import { workerRun } from "vite-plugin-worker-run";\n  plugins: [cloudflare(), workerRun()]');
    expect(readFileSync(config, "utf8")).toBe(original);
  });

  test("not a Cloudflare Vite app: exit 2 and what to do", async () => {
    const project = await exampleWithout("d1-seed");
    const config = path.join(project.dir, "vite.config.mts");
    writeFileSync(config, 'import { defineConfig } from "vite";\nexport default defineConfig({});\n');
    const result = await init(project.dir);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toContain("worker-run: No @cloudflare/vite-plugin in vite.config.mts. worker-run runs scripts inside the Cloudflare worker: add cloudflare() to its plugins first.");
  });
});
