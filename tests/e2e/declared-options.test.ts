/**
 * Declared scripts on real workerd, attached to one `vite dev`: `--help` prints the script's
 * help and does not run it (its KV mark stays absent), typed options reach the function, every
 * bad input is exit 2 with its sentence and the script's usage line (and no mark), a script
 * without a declaration gets its args as before, and `--list` shows the declared description.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lines, removeProject } from "../helpers/attach-streaming.js";
import { expectExit } from "../helpers/cli-assertions.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const USAGE = "Usage: worker-run backfill [--count <number>] [--dry-run] [--mode <fast|safe>] <table>";

const HELP = `Backfills a table from the archive.

${USAGE}

Arguments:
  <table>  the table to fill

Options:
  -n, --count <number>    rows to insert (default: 10)
      --dry-run           change nothing
      --mode <fast|safe>  (default: "safe")
  -h, --help              show this help
`;

describe("declared scripts, attached", () => {
  let project: TempProject;
  let dev: ViteDevProcess;
  const run = (args: string[]): Promise<CliResult> => runCli(args, { cwd: project.dir });
  const status = (): string => `Running in the dev server at ${dev.url} (pid ${dev.pid}).`;
  /** The KV mark backfill.ts leaves for a table when its function ran (null: it did not). */
  const mark = async (table: string): Promise<unknown> => {
    const result = await run(["--json", "read-kv", `ran:${table}`]);
    expectExit(result, 0);
    return (JSON.parse(result.stdout) as { result: { value: unknown } }).result.value;
  };

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "declared"), "declared-options");
    dev = await startViteDev(project.dir);
  });

  afterAll(async () => {
    await removeProject(project, async () => {
      if (dev) expect((await dev.stop()).survivors).toEqual([]);
    });
  });

  test("--help after the script prints its help on stdout, exit 0, and does not run it", async () => {
    for (const args of [["backfill", "--help"], ["backfill", "help-table", "-h"]]) {
      const result = await run(args);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toBe(HELP);
      expect(lines(result.stderr), describeRun(result)).toEqual([status()]);
    }
    expect(await mark("help-table")).toBeNull();
  });

  test("typed options and positionals reach the function, args as typed", async () => {
    const result = await run(["backfill", "-n", "3", "--dry-run", "--mode=fast", "events"]);
    expectExit(result, 0);
    const options = { count: 3, dryRun: true, mode: "fast" };
    expect(JSON.parse(result.stdout), describeRun(result)).toStrictEqual({
      options,
      positionals: { table: "events" },
      args: ["-n", "3", "--dry-run", "--mode=fast", "events"],
    });
    expect(await mark("events")).toBe(JSON.stringify(options));

    const defaults = await run(["backfill", "--no-dry-run", "--", "--odd-table"]);
    expectExit(defaults, 0);
    expect(JSON.parse(defaults.stdout).options, describeRun(defaults)).toStrictEqual({ count: 10, dryRun: false, mode: "safe" });
    expect(JSON.parse(defaults.stdout).positionals, describeRun(defaults)).toStrictEqual({ table: "--odd-table" });
  });

  test.each([
    ["an unknown option", ["--cuont", "3", "bad"], "Unknown option --cuont."],
    ["a missing value", ["bad", "--count"], "Option --count needs a value."],
    ["a number that is not a number", ["-n", "ten", "bad"], 'Option --count takes a number, not "ten".'],
    ["a choice outside its list", ["--mode", "slow", "bad"], 'Option --mode must be one of fast, safe, not "slow".'],
    ["a missing positional", ["-n", "2"], "Missing <table>."],
    ["one positional too many", ["bad", "extra"], 'Unexpected argument "extra".'],
  ])("%s: exit 2, the sentence and the usage line; the function did not run", async (_name, args, problem) => {
    const result = await run(["backfill", ...args]);
    expectExit(result, 2);
    expect(result.stdout, describeRun(result)).toBe("");
    const stderr = lines(result.stderr);
    expect(stderr.slice(0, -1), describeRun(result)).toEqual([status(), problem, USAGE, "Run worker-run backfill --help to see its options."]);
    expect(stderr.at(-1), describeRun(result)).toMatch(/^✖ backfill could not run in \d+ ms$/);
    expect(await mark("bad")).toBeNull();
  });

  test("--json: a usage error and a help are each one JSON document", async () => {
    const refused = await run(["--json", "backfill", "--mode", "slow", "bad"]);
    expectExit(refused, 2);
    expect(JSON.parse(refused.stdout), describeRun(refused)).toStrictEqual({
      ok: false,
      error: { name: "UsageError", message: `Option --mode must be one of fast, safe, not "slow".\n${USAGE}\nRun worker-run backfill --help to see its options.` },
    });
    const help = await run(["--json", "backfill", "--help"]);
    expectExit(help, 0);
    expect(JSON.parse(help.stdout), describeRun(help)).toStrictEqual({ ok: true, result: null, help: HELP });
  });

  test("a script without a declaration gets every word in args, --help included, as before", async () => {
    const result = await run(["plain", "--help", "-n", "x", "--", "y"]);
    expectExit(result, 0);
    expect(JSON.parse(result.stdout), describeRun(result)).toStrictEqual({ args: ["--help", "-n", "x", "--", "y"] });
  });

  test("a declared script inside a Durable Object: typed options with --do; --help and a bad value without it", async () => {
    const first = await run(["--do", "TALLY:t1", "bump", "--by", "3"]);
    expectExit(first, 0);
    expect(JSON.parse(first.stdout), describeRun(first)).toStrictEqual({ before: 0, after: 3 });
    const second = await run(["--do", "TALLY:t1", "bump"]);
    expectExit(second, 0);
    expect(JSON.parse(second.stdout), describeRun(second)).toStrictEqual({ before: 3, after: 4 });

    const help = await run(["bump", "--help"]);
    expectExit(help, 0);
    expect(help.stdout, describeRun(help)).toBe(
      "Adds to a Tally's number, from inside the instance.\n\nUsage: worker-run bump [--by <number>]\n\nOptions:\n      --by <number>  how much to add (default: 1)\n  -h, --help         show this help\n",
    );
    const refused = await run(["--do", "TALLY:t1", "bump", "--by", "many"]);
    expectExit(refused, 2);
    expect(refused.stderr, describeRun(refused)).toContain(
      'Option --by takes a number, not "many".\nUsage: worker-run bump [--by <number>]\nRun worker-run bump --help to see its options.\n',
    );
    const withoutObject = await run(["bump"]);
    expectExit(withoutObject, 2);
    expect(withoutObject.stderr, describeRun(withoutObject)).toContain("runs inside a Durable Object (defineObjectScript): name the instance with --do");
  });

  test("--list and --list --json show the declared description, the doc comment otherwise", async () => {
    const json = await run(["--list", "--json"]);
    expectExit(json, 0);
    expect(JSON.parse(json.stdout), describeRun(json)).toStrictEqual([
      { name: "backfill", path: "src/scripts/backfill.ts", description: "Backfills a table from the archive.", worker: null },
      { name: "bump", path: "src/scripts/bump.ts", description: "Adds to a Tally's number, from inside the instance.", worker: null },
      { name: "plain", path: "src/scripts/plain.ts", description: "Returns its args untouched: a script without a declaration.", worker: null },
      { name: "read-kv", path: "src/scripts/read-kv.ts", description: "`worker-run read-kv <key>`: the value of that KV key (null if none).", worker: null },
      { name: "steps", path: "src/scripts/steps.ts", description: "200,000 steps of a little work each, reporting progress on every one; \"halfway\" logged in", worker: null },
    ]);
    const text = await run(["--list"]);
    expectExit(text, 0);
    expect(lines(text.stdout)[0], describeRun(text)).toBe("backfill  Backfills a table from the archive.");
  });
});
