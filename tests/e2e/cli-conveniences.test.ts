/**
 * The launcher's shortcuts, through the real CLI on real workerd: bare script names
 * (`worker-run seed`), `--list` with each script's first doc-comment line, and `-e/--eval`.
 */
import { existsSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "conveniences"));
});

afterAll(async () => {
  await project?.remove();
});

const run = (args: string[]): Promise<CliResult> => runCli(args, { cwd: project.dir });

function expectResult(result: CliResult, value: unknown): void {
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stdout, describeRun(result)).toBe(`${JSON.stringify(value, null, 2)}\n`);
}

describe("bare names", () => {
  test("`seed` runs src/scripts/seed.ts, with the words after it as args", async () => {
    const result = await run(["seed", "3", "--force"]);
    expectResult(result, { seeded: ["3", "--force"] });
    expect(result.stderr, describeRun(result)).toContain("✔ seed finished");
  });

  test("`report` runs scripts/report.mjs", async () => {
    expectResult(await run(["report"]), { greeting: "hello from vars" });
  });

  test("a near miss is refused (exit 2) with the script it probably meant", async () => {
    const result = await run(["sed"]);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr, describeRun(result)).toContain('Script "sed" not found');
    expect(result.stderr, describeRun(result)).toContain('Did you mean "src/scripts/seed.ts"?');
  });

  test("a file of that exact path wins over the bare name (here: not a script, exit 2)", async () => {
    await writeFile(path.join(project.dir, "seed"), "not a script\n");
    const result = await run(["seed"]);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr, describeRun(result)).toContain('Script "seed" has an extension worker-run does not run.');
  });
});

describe("--list", () => {
  test("one line a script: its bare name and its first doc-comment line (or its path)", async () => {
    const result = await run(["--list"]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(
      [
        "seed          Pretends to seed: returns its args.",
        "report        Reports the greeting var.",
        "undocumented  scripts/undocumented.ts",
        "",
      ].join("\n"),
    );
  });

  test("with --json, one JSON document", async () => {
    const result = await run(["--list", "--json"]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { name: "seed", path: "src/scripts/seed.ts", description: "Pretends to seed: returns its args." },
      { name: "report", path: "scripts/report.mjs", description: "Reports the greeting var." },
      { name: "undocumented", path: "scripts/undocumented.ts" },
    ]);
  });
});

describe("--eval", () => {
  const snippetsLeft = (): string[] => {
    const directory = path.join(project.dir, "node_modules/.cache/worker-run");
    return existsSync(directory) ? readdirSync(directory) : [];
  };

  test("an expression is the result, with env in scope", async () => {
    const result = await run(["-e", "env.GREETING.toUpperCase()"]);
    expectResult(result, "HELLO FROM VARS");
    expect(result.stderr, describeRun(result)).toContain("✔ --eval finished");
  });

  test("statements are a function body; the words after the options are args", async () => {
    const result = await run(["--eval", "const [a, b] = args;\nconsole.log('got', a);\nreturn { a, b };", "x", "y"]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(`got x\n${JSON.stringify({ a: "x", b: "y" }, null, 2)}\n`);
  });

  test("a syntax error fails to load (exit 1), and no snippet file stays behind", async () => {
    const result = await run(["-e", "return (1 +;"]);
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stderr, describeRun(result)).toContain("✖ --eval failed to load");
    expect(snippetsLeft()).toEqual([]);
  });
});
