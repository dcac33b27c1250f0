// The editor as a task runner: a failed run prints `file:LINE:COL: Name: message` on a line of
// its own on stderr, and the problem matcher shipped in the examples' .vscode/tasks.json reads
// it: the regular expression is taken from that file and applied to the real stderr of failing
// runs (a throw in the script, a throw in an app module it imports, a syntax error, an
// unresolved import), cold and attached; it matches nothing a successful run prints.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listScripts } from "../../common/script-folders.js";
import { tasksFile } from "../../launcher/editor-tasks.js";
import { removeProject } from "../helpers/attach-streaming.js";
import { EXAMPLES_DIR, FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

interface Pattern {
  regexp: string;
  file: number;
  line: number;
  column: number;
  code: number;
  message: number;
}

/** The problem matcher's pattern as the d1-seed example ships it, the same in every task. */
function shippedPattern(): RegExp {
  const file = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, "d1-seed/.vscode/tasks.json"), "utf8")) as {
    tasks: { problemMatcher: { pattern: Pattern } }[];
  };
  const patterns = new Set(file.tasks.map((task) => JSON.stringify(task.problemMatcher.pattern)));
  expect(patterns.size).toBe(1);
  const pattern = file.tasks[0]!.problemMatcher.pattern;
  expect([pattern.file, pattern.line, pattern.column, pattern.code, pattern.message]).toEqual([1, 2, 3, 4, 5]);
  return new RegExp(pattern.regexp);
}

/** Every problem the matcher finds in some output, as VS Code applies it: line by line. */
function problems(output: string): { file: string; line: number; column: number; code: string; message: string }[] {
  const regexp = shippedPattern();
  return output.split("\n").flatMap((line) => {
    const match = regexp.exec(line);
    return match ? [{ file: match[1]!, line: Number(match[2]), column: Number(match[3]), code: match[4]!, message: match[5]! }] : [];
  });
}

const FAILURES = [
  { script: "src/scripts/throws.ts", problem: { file: "src/scripts/throws.ts", line: 7, column: 9, code: "Error", message: "the fixture threw on purpose" } },
  { script: "src/scripts/throws-in-app.ts", problem: { file: "src/app-module.ts", line: 4, column: 9, code: "RangeError", message: "the app module threw" } },
  { script: "src/scripts/syntax-error.ts", problem: { file: "src/scripts/syntax-error.ts", line: 4, column: 49, code: "Error", message: "[PARSE_ERROR] Unexpected token" } },
  {
    script: "src/scripts/bad-import.ts",
    problem: {
      file: "src/scripts/bad-import.ts",
      line: 2,
      column: 25,
      code: "Error",
      message: expect.stringContaining("Cannot find module 'worker-run-fixture-package-that-does-not-exist'") as unknown as string,
    },
  },
];

describe.each([
  ["cold", false],
  ["attached", true],
])("the location line of a failure, %s", (_mode, attached) => {
  let project: TempProject;
  let dev: ViteDevProcess | undefined;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "scripts"), `editor-tasks-${attached ? "attached" : "cold"}`);
    if (attached) dev = await startViteDev(project.dir);
  });

  afterAll(async () => {
    await removeProject(project, () => dev?.stop());
  });

  test.each(FAILURES.map((failure) => [failure.script, failure] as const))("%s: one problem, at the right place", async (_script, failure) => {
    const result = await runCli(attached ? [failure.script] : ["--no-attach", failure.script], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stderr, describeRun(result)).toContain(attached ? "Running in the dev server at" : "Starting the dev server…");
    expect(problems(result.stderr), describeRun(result)).toEqual([failure.problem]);
    expect(problems(result.stdout)).toEqual([]);
  });

  test("--json carries the same place in error", async () => {
    const result = await runCli(["--json", ...(attached ? [] : ["--no-attach"]), "src/scripts/throws-in-app.ts"], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { file: "src/app-module.ts", line: 4, column: 9 } });
  });

  test("a successful run prints nothing the matcher takes for a problem", async () => {
    const result = await runCli([...(attached ? [] : ["--no-attach"]), "src/scripts/logs.ts"], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(0);
    expect(problems(`${result.stdout}\n${result.stderr}`)).toEqual([]);
  });
});

test("from a subfolder, the path is relative to the current directory", async () => {
  const project = await copyProject(path.join(FIXTURES_DIR, "scripts"), "editor-tasks-subfolder");
  try {
    const result = await runCli(["--no-attach", "--root", "../..", "throws.ts"], { cwd: path.join(project.dir, "src/scripts") });
    expect(result.code, describeRun(result)).toBe(1);
    expect(problems(result.stderr)).toEqual([expect.objectContaining({ file: "throws.ts", line: 7, column: 9 })]);
  } finally {
    await removeProject(project);
  }
});

test.each(["d1-seed", "durable-object-sqlite"])("examples/%s/.vscode/tasks.json has a task per script, as --list sees them", (example) => {
  const dir = path.join(EXAMPLES_DIR, example);
  expect(readFileSync(path.join(dir, ".vscode/tasks.json"), "utf8")).toBe(tasksFile(dir, listScripts(dir)));
});
