/**
 * The launcher's shortcuts, through the real CLI on real workerd: bare script names
 * (`worker-run seed`), `--list` with each script's first doc-comment line, and `-e/--eval`.
 *
 * The fixture resolves `@/…` through its tsconfig's `paths` only (`resolve.tsconfigPaths`, no
 * `resolve.alias`), which Vite applies only to the files the tsconfig includes (`src`, not
 * `node_modules`): a snippet resolves it only if it stands where a script in `src/scripts/` does.
 */
import { existsSync, readdirSync, type Dirent } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, spawnCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

let project: TempProject;
/**
 * The runs attach to one running `vite dev` (what they test is the launcher's and the plugin's
 * handling of names and snippets, the same in a server the launcher starts); the last test
 * starts one of its own (--no-attach), to check that that server writes nothing either.
 */
let dev: ViteDevProcess;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "conveniences"));
  dev = await startViteDev(project.dir);
});

afterAll(async () => {
  const stopped = await dev?.stop();
  expect(stopped?.survivors ?? []).toEqual([]);
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

  test("a script imports an app module through the tsconfig alias `@/*`", async () => {
    expectResult(await run(["aliased"]), { libValue: "value from src/lib" });
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
        "aliased       Returns an app value it imports through the tsconfig alias `@/*`.",
        "seed          Pretends to seed: returns its args.",
        "report        Reports the greeting var.",
        "undocumented  scripts/undocumented.ts",
        "",
        "Workers (--worker <name>): conveniences-fixture (entry)",
        "",
      ].join("\n"),
    );
  });

  test("with --json, one JSON document", async () => {
    const result = await run(["--list", "--json"]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        name: "aliased",
        path: "src/scripts/aliased.ts",
        description: "Returns an app value it imports through the tsconfig alias `@/*`.",
        worker: null,
      },
      { name: "seed", path: "src/scripts/seed.ts", description: "Pretends to seed: returns its args.", worker: null },
      { name: "report", path: "scripts/report.mjs", description: "Reports the greeting var.", worker: null },
      { name: "undocumented", path: "scripts/undocumented.ts", worker: null },
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

  test("a snippet resolves the tsconfig alias `@/*` as a script in src/scripts/ does", async () => {
    expectResult(await run(["-e", 'import("@/lib/value").then((module) => module.libValue)']), "value from src/lib");
  });

  test("a snippet resolves a bare package of the project (magic-string, this package's dependency)", async () => {
    const code = 'import("magic-string").then(({ default: MagicString }) => new MagicString("worker").prepend("hello ").toString())';
    expectResult(await run(["-e", code]), "hello worker");
  });

  test("a throw on the snippet's 2nd line is reported at src/scripts/worker-run-eval.ts:2", async () => {
    const result = await run(["-e", 'const answer = 42;\nthrow new Error(`boom after ${answer}`);']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stdout, describeRun(result)).toBe("");
    const lines = result.stderr.split("\n");
    expect(lines, describeRun(result)).toContain("Error: boom after 42");
    expect(lines, describeRun(result)).toContain(
      `    at evalSnippet (${path.join(project.dir, "src/scripts/worker-run-eval.ts")}:2:7)`,
    );
    expect(result.stderr, describeRun(result)).toContain("✖ --eval failed in");
  });

  test("no file is written anywhere in the project, during the run or after it (in a server the launcher starts)", async () => {
    const before = projectFiles();
    const seen = new Set<string>();
    const running = spawnCli(
      ["--no-attach", "-e", 'const { libValue } = await import("@/lib/value");\nconsole.log("running");\nawait new Promise((resolve) => setTimeout(resolve, 1000));\nreturn libValue;'],
      { cwd: project.dir },
    );
    let exited = false;
    void running.exited.then(() => (exited = true));
    let listedWhileRunning = false;
    while (!exited) {
      // Once the snippet has printed, its module is loaded and running: a file it stood in
      // would exist now.
      const printed = running.output().stdout.includes("running\n");
      for (const file of projectFiles()) seen.add(file);
      if (printed) listedWhileRunning = true;
      await sleep(20);
    }
    const result = await running.exited;
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(`running\n${JSON.stringify("value from src/lib")}\n`);
    expect(listedWhileRunning, "the tree was listed while the snippet ran").toBe(true);

    const after = projectFiles();
    expect([...seen].filter((file) => !before.includes(file)), "created during the run").toEqual([]);
    expect(after).toEqual(before);
    expect([...seen, ...after].filter((file) => /^node_modules\/\.cache\/(.*\/)?eval-/.test(file))).toEqual([]);
    expect([...seen, ...after].filter((file) => file.includes("worker-run-eval"))).toEqual([]);
  });
});

/**
 * What runs may legitimately write: wrangler's local state, Vite's dependency cache (the
 * fixture's `cacheDir` is `.vite`; Vite's default is `node_modules/.vite`), and the bundled
 * config Vite writes to `node_modules/.vite-temp` (of the nearest node_modules) while it loads it.
 */
const STATE_DIRS = new Set([".wrangler", ".vite", "node_modules/.vite", "node_modules/.vite-temp"]);

/** Every file and folder (folders with a trailing `/`) under the project, but its state, sorted. */
function projectFiles(): string[] {
  const listed: string[] = [];
  const walk = (relative: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(project.dir, relative), { withFileTypes: true });
    } catch {
      return; // Removed while listing.
    }
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (STATE_DIRS.has(child)) continue;
      if (entry.isDirectory()) {
        listed.push(`${child}/`);
        walk(child);
      } else {
        listed.push(child);
      }
    }
  };
  walk("");
  return listed.sort();
}
