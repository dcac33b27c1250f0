// `worker-run --console` with stdin that is not a terminal: each entry in turn, inside real
// workerd, on a copy of examples/d1-seed (its `@/db` alias, its D1) and, attached to a running
// `vite dev`, in the multi-worker fixture's other workers and Durable Objects.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { removeProject, waitForOutput } from "../helpers/attach-streaming.js";
import { expectExit } from "../helpers/cli-assertions.js";
import { EXAMPLES_DIR, FIXTURES_DIR } from "../helpers/paths.js";
import { isAlive, watchDescendants } from "../helpers/processes.js";
import { describeRun, runCli, spawnCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

/** Entries, one line each (a multi-line entry spans several). */
const entries = (...lines: string[]): string => `${lines.join("\n")}\n`;

describe("--console from a pipe, in a dev server it starts", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(EXAMPLES_DIR, "d1-seed"), "console-d1");
    // A known table, so results are exact.
    const seeded = await runCli(["--no-attach", "src/scripts/seed.ts", "3"], { cwd: project.dir });
    expectExit(seeded, 0);
  });

  afterAll(async () => {
    await removeProject(project);
  });

  test("declarations persist, top-level await, an alias import, a multi-line entry, values JSON cannot carry; exit 0", async () => {
    const result = await runCli(["--console", "--no-attach"], {
      cwd: project.dir,
      input: entries(
        "const db = env.DB",
        'const row = await db.prepare("SELECT COUNT(*) AS n FROM notes").first()',
        "row.n",
        "_ + 1",
        'import { listNotes } from "@/db"',
        "(await listNotes(db)).map((note) => note.title)",
        "function double(x) {",
        "  return x * 2",
        "}",
        "double(row.n)",
        'new Map([["big", 2n ** 64n]])',
        "class Point { constructor(x) { this.x = x } }",
        "new Point(3)",
        'console.log("logged from the worker")',
        "let total = 1",
        "total += 41",
        "total",
      ),
    });
    expectExit(result, 0);
    expect(result.stdout.split("\n")).toEqual([
      "undefined",
      "undefined",
      "3",
      "4",
      "undefined",
      "[ 'Note 1', 'Note 2', 'Note 3' ]",
      "undefined",
      "6",
      "Map(1) { 'big' => 18446744073709551616n }",
      "undefined",
      "Point { x: 3 }",
      "logged from the worker",
      "undefined",
      "undefined",
      "42",
      "42",
      "",
    ]);
    expect(result.stderr).toBe("Starting the dev server…\n");
  });

  test("an error prints its message and a stack in the entry; the session goes on, _error holds it; exit 1", async () => {
    const result = await runCli(["--console", "--no-attach"], {
      cwd: project.dir,
      input: entries("const before = 1", 'throw new TypeError("bad input")', "_error.message", "before + 1", "missing.property"),
    });
    expectExit(result, 1);
    expect(result.stdout.split("\n")).toEqual(["undefined", "'bad input'", "2", ""]);
    expect(result.stderr, describeRun(result)).toMatch(/TypeError: bad input\n\s+at consoleEntry \(.*src\/scripts\/worker-run-console\.ts:1:\d+\)/);
    expect(result.stderr, describeRun(result)).toContain("ReferenceError: missing is not defined");
  });

  test(".load runs a file's contents as entries; what it declares stays", async () => {
    await writeFile(path.join(project.dir, "entries.js"), "const loaded = 40\nfunction plus2(x) {\n  return x + 2\n}\nplus2(loaded)\n");
    const result = await runCli(["--console", "--no-attach"], { cwd: project.dir, input: entries(".load entries.js", "loaded + 1") });
    expectExit(result, 0);
    expect(result.stdout).toBe("42\n41\n");
  });

  test("SIGINT to the process group during an entry: the entry is cancelled, the session ends, exit 130, no workerd left", async () => {
    const running = spawnCli(["--console", "--no-attach"], {
      cwd: project.dir,
      processGroup: true,
      input: entries(
        'await new Promise((resolve) => { const timer = setInterval(() => {}, 1000); console.log("waiting"); signal.addEventListener("abort", () => { clearInterval(timer); resolve("aborted") }) })',
        '"never run"',
      ),
    });
    const watcher = watchDescendants(running.pid);
    await waitForOutput(running, "stdout", "waiting");
    process.kill(-running.pid, "SIGINT");
    const result = await running.exited;
    const seen = watcher.stop();
    expectExit(result, 130);
    expect(result.stdout).not.toContain("never run");
    expect(seen.map((info) => info.name)).toContain("workerd");
    expect(seen.filter((info) => isAlive(info.pid)).map((info) => `${info.name} (${info.pid})`)).toEqual([]);
  });

  test("usage errors: --console with a script, with --json; a bad --do", async () => {
    const withScript = await runCli(["--console", "seed"], { cwd: project.dir });
    expectExit(withScript, 2);
    expect(withScript.stderr).toContain("--console takes no script and no -e: its entries are what you type (or pipe in).");
    const withJson = await runCli(["--console", "--json"], { cwd: project.dir });
    expectExit(withJson, 2);
    expect(withJson.stderr).toContain("--console does not take --json");
    const badTarget = await runCli(["--console", "--do", "NOPE"], { cwd: project.dir, input: "1\n" });
    expectExit(badTarget, 2);
    expect(badTarget.stderr).toContain('--do takes <binding>:<name> or <binding>:id:<hex>, not "NOPE"');
  });
});

describe("--console attached to a running vite dev, in another worker and inside an object", () => {
  let project: TempProject;
  let dev: ViteDevProcess;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "multi-worker"), "console-multi");
    dev = await startViteDev(project.dir, { readyStatus: 200 });
  });

  afterAll(async () => {
    await removeProject(project, () => dev?.stop());
  });

  test("--worker auth: that worker's env", async () => {
    const result = await runCli(["--console", "--worker", "auth"], { cwd: project.dir, input: entries("env.ROLE", "Object.keys(env).sort()") });
    expectExit(result, 0);
    expect(result.stdout).toBe("'auth'\n[ 'GATEWAY_COUNTER', 'ROLE', 'SESSIONS' ]\n");
    expect(result.stderr).toContain("Running in the dev server at");
  });

  test("a target that is not there ends the session at the first entry: exit 2 and the message", async () => {
    const unknown = await runCli(["--console", "--worker", "billing"], { cwd: project.dir, input: entries("1", "2") });
    expectExit(unknown, 2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain('No worker named "billing" in this dev server. Its workers: gateway (the entry worker), auth, store.');
    expect(unknown.stderr.match(/No worker named/g)).toHaveLength(1);
    const noBinding = await runCli(["--console", "--do", "NOPE:x"], { cwd: project.dir, input: entries("1") });
    expectExit(noBinding, 2);
    expect(noBinding.stderr).toContain('No binding NOPE in the env of the worker "gateway".');
  });

  test("--do: instance and state in scope, declarations persist inside the object", async () => {
    await dev.get("/counter/hit?name=console");
    const result = await runCli(["--console", "--do", "COUNTER:console"], {
      cwd: project.dir,
      input: entries("const before = instance.hits", "instance.hits = before + 100", "state.storage.sql.exec('SELECT n FROM hits').one().n", "instance.constructor.name"),
    });
    expectExit(result, 0);
    expect(result.stdout).toBe("undefined\n101\n1\n'Counter'\n");
    expect(JSON.parse((await dev.get("/counter/read?name=console")).body)).toEqual({ hits: 101, stored: 1 });
  });
});
