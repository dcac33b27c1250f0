/**
 * The script's console reaches the launcher's terminal while the script runs, in order,
 * stdout and stderr kept apart, each line once; with --json, stdout is the one JSON
 * document and every log line goes to stderr. The same in a server the launcher starts
 * ("fresh") and in a running `vite dev` it attaches to. Runs against real workerd.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasExited, lines, removeProject, waitForOutput } from "../helpers/attach-streaming.js";
import { expectExit } from "../helpers/cli-assertions.js";
import { observeCli } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const FIXTURE = path.join(FIXTURES_DIR, "attach");

/** What src/scripts/alternate.ts logs, per stream, in order. */
const ALTERNATE_STDOUT = ["out-1", "out-2", "out-3"];
const ALTERNATE_STDERR = ["err-1", "err-2", "err-3"];
const ALTERNATE_ALL = ["out-1", "err-1", "out-2", "err-2", "out-3", "err-3"];

/** The result as the launcher prints it on stdout, as lines. */
function resultLines(result: unknown): string[] {
  return lines(JSON.stringify(result, null, 2));
}

interface Mode {
  name: string;
  /** The status line the launcher prints first on stderr in this mode. */
  status: (dev: ViteDevProcess | undefined) => string;
  attached: boolean;
}

const MODES: Mode[] = [
  { name: "a server the launcher starts", status: () => "Starting the dev server…", attached: false },
  {
    name: "a running `vite dev` it attaches to",
    status: (dev) => `Running in the dev server at ${dev!.url} (pid ${dev!.pid}).`,
    attached: true,
  },
];

describe.each(MODES.map((mode) => [mode.name, mode] as const))("streamed console, in %s", (_name, mode) => {
  let project: TempProject;
  let dev: ViteDevProcess | undefined;

  beforeAll(async () => {
    project = await copyProject(FIXTURE);
    if (mode.attached) dev = await startViteDev(project.dir);
  });

  afterAll(async () => {
    await removeProject(project, async () => {
      if (dev) {
        const stopped = await dev.stop();
        expect(stopped.survivors).toEqual([]);
      }
    });
  });

  it("a line appears while the script still runs, before the next one and before the launcher exits", async () => {
    let sofar: { stdout: string; stderr: string } | undefined;
    let exitedThen: boolean | undefined;
    const { result } = await observeCli(["src/scripts/slow.ts"], {
      cwd: project.dir,
      during: async (running) => {
        await waitForOutput(running, "stdout", "first");
        // slow.ts waits 1.5 s between its two lines: "first" got here on its own.
        sofar = running.output();
        exitedThen = hasExited(running);
      },
    });
    expectExit(result, 0);
    expect(exitedThen, describeRun(result)).toBe(false);
    expect(lines(sofar!.stdout), describeRun(result)).toEqual(["first"]);
    expect(lines(result.stdout), describeRun(result)).toEqual(["first", "second", ...resultLines({ slow: "done" })]);
    expect(lines(result.stderr)[0], describeRun(result)).toBe(mode.status(dev));
  });

  it("stdout gets exactly the log/info/debug lines and stderr the warn/error lines, in order, once each", async () => {
    const { result } = await observeCli(["src/scripts/alternate.ts"], { cwd: project.dir });
    expectExit(result, 0);
    expect(lines(result.stdout), describeRun(result)).toEqual([...ALTERNATE_STDOUT, ...resultLines({ lines: 6 })]);
    const stderr = lines(result.stderr);
    expect(stderr.slice(0, -1), describeRun(result)).toEqual([mode.status(dev), ...ALTERNATE_STDERR]);
    expect(stderr.at(-1), describeRun(result)).toMatch(/^✔ src\/scripts\/alternate\.ts finished in /);
  });

  it("--json: stdout is exactly one JSON document, every log line is on stderr in order", async () => {
    const { result } = await observeCli(["--json", "src/scripts/alternate.ts"], { cwd: project.dir });
    expectExit(result, 0);
    expect(result.stdout, describeRun(result)).toBe(`${JSON.stringify({ ok: true, result: { lines: 6 } })}\n`);
    expect(lines(result.stderr), describeRun(result)).toEqual([mode.status(dev), ...ALTERNATE_ALL]);
  });

  // Only an attached run has a `vite dev` terminal to look at.
  if (mode.attached) {
    it("the script's lines went to the launcher only, not to the `vite dev` terminal", async () => {
      const { exit } = await dev!.stop();
      const terminal = `${exit.stdout}\n${exit.stderr}`;
      for (const line of ALTERNATE_ALL) {
        expect(terminal, `--- vite dev output ---\n${terminal}`).not.toContain(line);
      }
      for (const line of ["first", "second"]) {
        expect(lines(terminal).map((text) => text.trim()), `--- vite dev output ---\n${terminal}`).not.toContain(line);
      }
    });
  }
});
