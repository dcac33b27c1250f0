/**
 * A cold run's output when the dev server's plugins, wrangler and the app all print while the
 * launcher's own server starts, runs and closes (tests/fixtures/noisy): stdout carries only
 * the script's stdout lines and its result (with --json: exactly one JSON document), stderr
 * one status line, the script's stderr lines and the closing line. The server's own log
 * shows with --verbose, and by itself when it explains a failure.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const SERVER_LINES = [
  "NOISY: console.log while the config resolves",
  "NOISY: a warning through Vite's logger",
  "NOISY: a write to process.stdout",
  "NOISY: a write to process.stderr",
  "NOISY: console.log while the server closes",
  "Using secrets defined in .dev.vars",
  "APP: the app's own console.log",
];
const RESULT = { secret: "shh", app: "app result" };
const FINISHED_RE = /^✔ src\/scripts\/report\.ts finished in \d+(\.\d+)? m?s\n$/;

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "noisy"));
});

afterAll(async () => {
  await project?.remove();
});

const run = (args: string[]): Promise<CliResult> => runCliBounded(args, { cwd: project.dir });

describe("by default", () => {
  let result: CliResult;
  beforeAll(async () => {
    result = await run(["src/scripts/report.ts"]);
  });

  test("stdout is exactly the script's stdout line and its result", () => {
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(`SCRIPT: stdout line\n${JSON.stringify(RESULT, null, 2)}\n`);
  });

  test("stderr is one status line, the script's stderr line and the closing line: none of the server's log", () => {
    const [status, scriptLine, ...rest] = result.stderr.split(/(?<=\n)/);
    expect([status, scriptLine], describeRun(result)).toEqual(["Starting the dev server…\n", "SCRIPT: stderr line\n"]);
    expect(rest.join(""), describeRun(result)).toMatch(FINISHED_RE);
  });
});

test("--json: stdout is exactly one JSON document, whatever the server printed", async () => {
  const result = await run(["--json", "src/scripts/report.ts"]);
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stdout.trimEnd().split("\n"), describeRun(result)).toHaveLength(1);
  expect(JSON.parse(result.stdout), describeRun(result)).toEqual({ ok: true, result: RESULT });
  for (const line of SERVER_LINES) expect(result.stderr, describeRun(result)).not.toContain(line);
});

describe("--verbose", () => {
  let result: CliResult;
  beforeAll(async () => {
    result = await run(["--verbose", "src/scripts/report.ts"]);
  });

  test("shows the server's log on stderr as it comes", () => {
    expect(result.code, describeRun(result)).toBe(0);
    for (const line of SERVER_LINES) expect(result.stderr, describeRun(result)).toContain(`${line}\n`);
  });

  test("keeps stdout exactly as without it", () => {
    expect(result.stdout, describeRun(result)).toBe(`SCRIPT: stdout line\n${JSON.stringify(RESULT, null, 2)}\n`);
  });
});

test("a script that fails to load shows the server's log, on stderr, with the error", async () => {
  const result = await run(["src/scripts/syntax-error.ts"]);
  expect(result.code, describeRun(result)).toBe(1);
  expect(result.stdout, describeRun(result)).toBe("");
  expect(result.stderr, describeRun(result)).toContain("The dev server's log:\n");
  for (const line of SERVER_LINES.filter((text) => !text.startsWith("APP"))) {
    expect(result.stderr, describeRun(result)).toContain(`${line}\n`);
  }
  expect(result.stderr, describeRun(result)).toContain("src/scripts/syntax-error.ts:3:11");
  expect(result.stderr, describeRun(result)).toMatch(/✖ src\/scripts\/syntax-error\.ts failed to load in .*\n$/);
});
