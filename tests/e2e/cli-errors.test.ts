/**
 * Every bad input and every way a run ends, through the real launcher (bin/worker-run.js):
 * exact exit code, the message on stderr (saying what to do), and stdout clean where it
 * must be. The runs share one copy of the `scripts` fixture and go one after the other.
 *
 * Usage errors, --help and --version end before any server starts. Configuration errors
 * need projects of their own and are found while the launcher starts its own server, so
 * they run cold. Every other run goes to ONE `vite dev` of the copy, started once, which the
 * launcher attaches to (each such run checks that it did): what those tests check is the
 * script's outcome, the same in a server the launcher starts (tests/e2e/script-failures,
 * lifecycle and quiet-output run scripts cold). One run stays cold because the cold path is
 * what it checks: --timeout in the launcher's own server, which must close only after the
 * script's signal handler has written its marker.
 */
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { expectExit, parseJsonStdout } from "../helpers/cli-assertions.js";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { removeProject } from "../helpers/attach-streaming.js";
import { describeRun, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const STARTING = "Starting the dev server…";
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "scripts"));
});

afterAll(async () => {
  await removeProject(project);
});

/** Runs the launcher in the fixture copy (or `cwd`). */
function run(args: string[], cwd = project.dir): Promise<CliResult> {
  return runCliBounded(args, { cwd });
}

/** Checks the exit code, printing everything the launcher said if it is wrong. */
/** A failed run in text mode: the exit code, nothing on stdout, `messages` on stderr. */
function expectFailure(result: CliResult, code: number, ...messages: (string | RegExp)[]): void {
  expectExit(result, code);
  expect(result.stdout, describeRun(result)).toBe("");
  for (const message of messages) {
    if (typeof message === "string") expect(result.stderr, describeRun(result)).toContain(message);
    else expect(result.stderr, describeRun(result)).toMatch(message);
  }
}

describe("usage errors found before any server starts (exit 2)", () => {
  it("refuses a command line without a script", async () => {
    const result = await run([]);
    expectFailure(
      result,
      2,
      "worker-run: No script given. Usage: worker-run [options] <script> [args…], e.g. worker-run src/scripts/seed.ts",
    );
  });

  it("refuses options without a script, and `--` with nothing after it", async () => {
    for (const args of [["--timeout", "5"], ["--"]]) {
      const result = await run(args);
      expectFailure(result, 2, "worker-run: No script given.");
    }
  });

  it("with --json, a usage error is still exactly one JSON document on stdout", async () => {
    const result = await run(["--json"]);
    expectExit(result, 2);
    expect(result.stderr, describeRun(result)).toContain("worker-run: No script given.");
    expect(parseJsonStdout(result), describeRun(result)).toEqual({
      ok: false,
      error: { name: "UsageError", message: expect.stringContaining("No script given.") },
    });
  });

  it("refuses an unknown option, long or short, and says where options go", async () => {
    for (const [option, shown] of [
      ["--nope", "'--nope'"],
      ["-x", "'-x'"],
    ] as const) {
      const result = await run([option, "src/scripts/ok.ts"]);
      expectFailure(
        result,
        2,
        `worker-run: Unknown option ${shown}. Options go before the script; run worker-run --help to see them.`,
      );
    }
  });

  it("refuses an option that is missing its value", async () => {
    const result = await run(["--timeout"]);
    expectFailure(result, 2, "worker-run: Option '--timeout <value>' argument missing. Options go before the script");
  });

  it("refuses a --timeout that is not a positive number of seconds", async () => {
    for (const value of ["abc", "0", ""]) {
      const result = await run(["--timeout", value, "src/scripts/ok.ts"]);
      expectFailure(
        result,
        2,
        `worker-run: --timeout takes a positive number of seconds, not ${JSON.stringify(value)}.`,
      );
    }
  });

  it("refuses a script that does not exist", async () => {
    const result = await run(["src/scripts/nope.ts"]);
    expectFailure(
      result,
      2,
      `Script "src/scripts/nope.ts" not found (looked in ${project.dir}).`,
      "✖ src/scripts/nope.ts could not run",
    );
  });

  it("suggests the script the user probably meant when a path is a near miss", async () => {
    // The message the style asks for: "Script "src/scripts/sed.ts" not found (from /home/me/app). Did you mean "src/scripts/seed.ts"?"
    const result = await run(["src/scripts/throw.ts"]);
    expectFailure(result, 2, `Script "src/scripts/throw.ts" not found`, `Did you mean "src/scripts/throws.ts"?`);
  });

  it("refuses a directory", async () => {
    const result = await run(["src/scripts"]);
    expectFailure(result, 2, `Script "src/scripts" is not a file`);
  });

  it("refuses a relative path that leads outside the project root", async () => {
    const outside = `${project.dir}-outside.ts`;
    await writeFile(outside, 'export default () => "must not run";\n');
    try {
      const input = `../${path.basename(outside)}`;
      const result = await run([input, "arg"]);
      expectFailure(
        result,
        2,
        `Script ${JSON.stringify(input)} is outside the project root ${project.dir}.`,
        `move it under ${project.dir}.`,
      );
    } finally {
      await rm(outside, { force: true });
    }
  });

  it("refuses absolute paths elsewhere: a .ts script of another project, and a package.json", async () => {
    // The fixture's own ok.ts runs fine in its own project; from the copy it is outside the root.
    for (const input of [path.join(FIXTURES_DIR, "scripts/src/scripts/ok.ts"), path.join(REPO_ROOT, "package.json")]) {
      const result = await run([input]);
      expectFailure(
        result,
        2,
        `Script ${JSON.stringify(input)} is outside the project root ${project.dir}.`,
        `move it under ${project.dir}.`,
      );
    }
  });

  it("refuses a file with an extension that is not a script's", async () => {
    const result = await run(["src/scripts/notes.txt"]);
    expectFailure(
      result,
      2,
      `Script "src/scripts/notes.txt" has an extension worker-run does not run. Use one of .ts .mts .js .mjs .tsx .jsx.`,
    );
  });
});

describe("--help and --version (exit 0)", () => {
  it("prints the usage on stdout for --help and -h", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await run([flag]);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toMatch(/^Usage: worker-run \[options\] <script> \[script args…\]\n/);
      expect(result.stdout, describeRun(result)).toContain("--timeout <seconds>");
      expect(result.stderr, describeRun(result)).toBe("");
    }
  });

  it("prints the package version on stdout for --version and -v", async () => {
    for (const flag of ["--version", "-v"]) {
      const result = await run([flag]);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toBe(`${VERSION}\n`);
      expect(result.stderr, describeRun(result)).toBe("");
    }
  });
});

describe("configuration errors (exit 2)", () => {
  it("refuses a config without @cloudflare/vite-plugin", async () => {
    const other = await copyProject(path.join(FIXTURES_DIR, "no-cloudflare"));
    try {
      const result = await run(["src/scripts/ok.ts"], other.dir);
      expectFailure(
        result,
        2,
        "No @cloudflare/vite-plugin in vite.config.mts: worker-run runs scripts inside the Cloudflare worker, so add cloudflare() to plugins.",
        "✖ src/scripts/ok.ts could not run",
      );
    } finally {
      await other.remove();
    }
  });

  it("refuses a config without workerRun()", async () => {
    const other = await copyProject(path.join(FIXTURES_DIR, "no-worker-run"));
    try {
      const result = await run(["src/scripts/ok.ts"], other.dir);
      expectFailure(
        result,
        2,
        'No workerRun() in vite.config.mts: add it to plugins (import { workerRun } from "vite-plugin-worker-run").',
        "✖ src/scripts/ok.ts could not run",
      );
    } finally {
      await other.remove();
    }
  });
});

describe("in one running `vite dev` of the project, which the launcher attaches to", () => {
  let dev: ViteDevProcess;
  /** The one cold run: --timeout in the launcher's own server, before `vite dev` starts. */
  let coldTimeout: CliResult;

  beforeAll(async () => {
    coldTimeout = await run(["--timeout", "1", "src/scripts/never-resolves.ts", "timeout"]);
    dev = await startViteDev(project.dir);
  });

  afterAll(async () => {
    const stopped = await dev?.stop();
    // The server is shared by every test below: one that broke it shows here.
    expect(stopped?.survivors ?? [], "processes of vite dev left after it stopped").toEqual([]);
  });

  /** Runs the launcher in the fixture copy; the run must attach to the running `vite dev`. */
  async function runAttached(args: string[]): Promise<CliResult> {
    const result = await run(args);
    expect(result.stderr, `Expected the run to attach to vite dev.\n${describeRun(result)}`).toContain(
      `Running in the dev server at ${dev.url} (pid ${dev.pid}).\n`,
    );
    expect(result.stderr, describeRun(result)).not.toContain(STARTING);
    return result;
  }

  describe("scripts that fail", () => {
    it("a throw (exit 1): the message, the cause, and a frame at the .ts line", async () => {
      const result = await runAttached(["src/scripts/throws.ts"]);
      expectFailure(
        result,
        1,
        "Error: the fixture threw on purpose",
        "Caused by: Error: the fixture's cause",
        /\n\s+at .*src\/scripts\/throws\.ts:7:\d+/,
        "✖ src/scripts/throws.ts failed",
      );
    });

    it("a rejected promise (exit 1)", async () => {
      const result = await runAttached(["src/scripts/rejects.ts"]);
      expectFailure(
        result,
        1,
        "RangeError: the fixture rejected on purpose",
        /\n\s+at .*src\/scripts\/rejects\.ts:6:\d+/,
        "✖ src/scripts/rejects.ts failed",
      );
    });

    it("a thrown string (exit 1), said to be a string", async () => {
      const result = await runAttached(["src/scripts/throws-string.ts"]);
      expectFailure(
        result,
        1,
        "Error: the fixture threw a string (a string was thrown, not an Error)",
        "✖ src/scripts/throws-string.ts failed",
      );
    });

    it("a syntax error (exit 1): the message names the file and line", async () => {
      const result = await runAttached(["src/scripts/syntax-error.ts"]);
      expectFailure(result, 1, /src\/scripts\/syntax-error\.ts:4:\d+/, "✖ src/scripts/syntax-error.ts failed to load");
    });

    it("an import that cannot be resolved (exit 1): names the package and the importer", async () => {
      const result = await runAttached(["src/scripts/bad-import.ts"]);
      expectFailure(
        result,
        1,
        /Cannot find module 'worker-run-fixture-package-that-does-not-exist' imported from '[^']*src\/scripts\/bad-import\.ts'/,
        "✖ src/scripts/bad-import.ts failed to load",
      );
    });

    it("a default export that is not a function (exit 2), and how to write one", async () => {
      const result = await runAttached(["src/scripts/not-a-function.ts"]);
      expectFailure(
        result,
        2,
        `The default export of "${path.join(project.dir, "src/scripts/not-a-function.ts")}" is an object, not a function. Export a function: export default defineScript(`,
        "✖ src/scripts/not-a-function.ts could not run",
      );
    });

    it("results JSON cannot carry (exit 1): each says where in the result the problem is", async () => {
      const cases = [
        ["bigint", "result.rows[1].id is a BigInt (2n); return it as a string or a number."],
        ["cycle", "result.node.self refers back to one of its parents (a cycle)."],
        ["function-result", "result.callback is a function."],
      ] as const;
      for (const [name, where] of cases) {
        const result = await runAttached([`src/scripts/${name}.ts`]);
        expectFailure(
          result,
          1,
          `TypeError: The script finished, but its result cannot be sent as JSON: ${where}`,
          `✖ src/scripts/${name}.ts returned a result that is not JSON`,
        );
      }
    });

    it("--timeout 1 on a script that never finishes (exit 124), after its signal fired", async () => {
      // Cold, in the launcher's own server (see beforeAll): it must close that server only
      // after the script's signal handler ran, so the marker it writes is in the local state.
      const result = coldTimeout;
      expectExit(result, 124);
      expect(result.stderr, describeRun(result)).toContain(STARTING);
      expect(result.stdout, describeRun(result)).toBe("started\n");
      expect(result.stderr, describeRun(result)).toContain("TimeoutError: The script did not finish within 1000 ms; its signal was aborted.");
      expect(result.stderr, describeRun(result)).toContain("✖ src/scripts/never-resolves.ts timed out");

      // The launcher closed that server; `vite dev` started after it reads the same local state.
      const check = await runAttached(["--json", "src/scripts/read-marker.ts", "timeout"]);
      expectExit(check, 0);
      expect(parseJsonStdout(check), describeRun(check)).toEqual({
        ok: true,
        result: { marker: expect.stringMatching(/^aborted: TimeoutError/) },
      });
    });

    it("a script awaiting a promise nothing settles (exit 1): says the script hung, not that the config is wrong", async () => {
      // No timer or I/O is pending, so workerd cancels the request as hung and answers 500 itself.
      const result = await runAttached(["src/scripts/hangs.ts"]);
      expectExit(result, 1);
      expect(result.stdout, describeRun(result)).toBe("");
      expect(result.stderr, describeRun(result)).toMatch(/hung|never (finish|settle|resolve|generate a response)/i);
      expect(result.stderr, describeRun(result)).not.toContain("Is workerRun() in the plugins");
    });
  });

  describe("output", () => {
    it("without --json, console.log/info go to stdout before the result, console.warn/error to stderr", async () => {
      const result = await runAttached(["src/scripts/logs.ts"]);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toBe('log: to stdout\ninfo: to stdout\n{\n  "logged": 4\n}\n');
      expect(result.stderr, describeRun(result)).toContain("warn: to stderr\nerror: to stderr\n");
      expect(result.stderr, describeRun(result)).toContain("✔ src/scripts/logs.ts finished");
    });

    it("a module without a default export runs its top-level code and prints no result", async () => {
      const result = await runAttached(["src/scripts/top-level.ts"]);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toBe("top-level ran\n");
    });

    it("--json on success: stdout is one document, the script's logs all go to stderr", async () => {
      const result = await runAttached(["--json", "src/scripts/logs.ts"]);
      expectExit(result, 0);
      expect(parseJsonStdout(result), describeRun(result)).toEqual({ ok: true, result: { logged: 4 } });
      for (const line of ["log: to stdout", "info: to stdout", "warn: to stderr", "error: to stderr"]) {
        expect(result.stderr, describeRun(result)).toContain(line);
      }
    });

    it("--json on a failure: stdout is one document with the error's name, message and stack", async () => {
      const result = await runAttached(["--json", "src/scripts/throws.ts"]);
      expectExit(result, 1);
      expect(parseJsonStdout(result), describeRun(result)).toEqual({
        ok: false,
        error: {
          name: "Error",
          message: "the fixture threw on purpose",
          stack: expect.stringMatching(/src\/scripts\/throws\.ts:7:\d+/),
          cause: expect.objectContaining({ name: "Error", message: "the fixture's cause" }),
          // Where it happened, for editors (relative to the current directory).
          file: "src/scripts/throws.ts",
          line: 7,
          column: 9,
        },
      });
    });

    it("--json on a usage error and a timeout: still exactly one document on stdout", async () => {
      const notFound = await run(["--json", "src/scripts/nope.ts"]);
      expectExit(notFound, 2);
      expect(parseJsonStdout(notFound), describeRun(notFound)).toEqual({
        ok: false,
        error: { name: "UsageError", message: expect.stringContaining('Script "src/scripts/nope.ts" not found') },
      });

      const timedOut = await runAttached(["--json", "--timeout", "1", "src/scripts/never-resolves.ts", "json"]);
      expectExit(timedOut, 124);
      expect(parseJsonStdout(timedOut), describeRun(timedOut)).toEqual({
        ok: false,
        error: { name: "TimeoutError", message: expect.stringContaining("did not finish") },
      });
      expect(timedOut.stderr, describeRun(timedOut)).toContain("started");
    });
  });

  describe("arguments after the script", () => {
    it("are passed untouched, including words that look like options", async () => {
      const args = ["--force", "-x", "--json", "--config", "other.mts", "-h", "--", "two words", ""];
      const result = await runAttached(["--json", "src/scripts/ok.ts", ...args]);
      expectExit(result, 0);
      expect(parseJsonStdout(result), describeRun(result)).toEqual({
        ok: true,
        result: { args, greeting: "hello from vars" },
      });
    });

    it("`--` ends the options: what follows is the script and its args", async () => {
      const result = await runAttached(["--json", "--", "src/scripts/ok.ts", "--help", "-v"]);
      expectExit(result, 0);
      expect(parseJsonStdout(result), describeRun(result)).toEqual({
        ok: true,
        result: { args: ["--help", "-v"], greeting: "hello from vars" },
      });
    });

    it("`--` lets a script path start with a dash", async () => {
      await writeFile(path.join(project.dir, "-dash.ts"), 'export default ({ args }: { args: string[] }) => ({ dash: args });\n');
      const result = await runAttached(["--json", "--", "-dash.ts", "--x"]);
      expectExit(result, 0);
      expect(parseJsonStdout(result), describeRun(result)).toEqual({ ok: true, result: { dash: ["--x"] } });
    });
  });
});
