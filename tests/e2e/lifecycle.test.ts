/**
 * However a launcher run ends (success, failure, --timeout, SIGINT, SIGTERM), it exits with
 * the contract's code and every process it started (workerd and anything else below it) is
 * gone afterwards. Only the launcher's own descendants are looked at.
 */
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { isAlive } from "../helpers/processes.js";
import { observeCli, runCliBounded, type ObservedRun } from "../helpers/cli-bounded.js";
import { expectExit, parseJsonStdout } from "../helpers/cli-assertions.js";
import { describeRun, type RunningCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

/** Soft, so that a wrong exit code and leftover processes are both reported. */
const SOFT = { soft: true };

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "scripts"));
});

afterAll(async () => {
  await project?.remove();
});

/** Runs the launcher in the fixture copy (or `cwd`), watching its process tree. */
function observe(
  args: string[],
  during?: (running: RunningCli) => Promise<void>,
  cwd = project.dir,
): Promise<ObservedRun> {
  return observeCli(args, { cwd, during });
}

/** Waits (bounded) until the running script has printed `text` on stdout. */
async function waitForStdout(running: RunningCli, text: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!running.output().stdout.includes(text)) {
    const { stdout, stderr } = running.output();
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`The launcher exited before printing ${JSON.stringify(text)}.\n${stdout}\n${stderr}`);
    }
    if (Date.now() > deadline) throw new Error(`No ${JSON.stringify(text)} on stdout within 60 s.\n${stdout}\n${stderr}`);
    await delay(100);
  }
}

/** The run started workerd, and (within a few seconds) nothing it started is still alive. */
async function expectNoOrphans({ result, seen }: ObservedRun): Promise<void> {
  const context = `${describeRun(result)}\n--- descendants seen ---\n${seen.map((p) => `${p.pid} ${p.name}`).join("\n")}`;
  expect(
    seen.some((descendant) => descendant.name === "workerd"),
    `Expected to see a workerd below the launcher.\n${context}`,
  ).toBe(true);
  await vi.waitFor(
    () => {
      const alive = seen.filter((descendant) => isAlive(descendant.pid));
      expect(alive, `Still alive after the launcher exited.\n${context}`).toEqual([]);
    },
    { timeout: 5_000, interval: 100 },
  );
}

/** Sends `signal` to the launcher (only) once the script is running, and waits for the end. */
function interruptWhenStarted(signal: NodeJS.Signals): (running: RunningCli) => Promise<void> {
  return async (running) => {
    await waitForStdout(running, "started");
    process.kill(running.pid, signal);
  };
}

describe("every run ends with its exit code and leaves no process behind", () => {
  it("a successful run (exit 0)", async () => {
    const run = await observe(["src/scripts/ok.ts"]);
    expectExit(run.result, 0, SOFT);
    await expectNoOrphans(run);
  });

  it("a failing run (exit 1)", async () => {
    const run = await observe(["src/scripts/throws.ts"]);
    expectExit(run.result, 1, SOFT);
    await expectNoOrphans(run);
  });

  it("a configuration error found after the server started (exit 2)", async () => {
    const other = await copyProject(path.join(FIXTURES_DIR, "no-worker-run"));
    try {
      const run = await observe(["src/scripts/ok.ts"], undefined, other.dir);
      expectExit(run.result, 2, SOFT);
      await expectNoOrphans(run);
    } finally {
      await other.remove();
    }
  });

  it("a --timeout run (exit 124)", async () => {
    const run = await observe(["--timeout", "1", "src/scripts/never-resolves.ts", "lifecycle-timeout"]);
    expectExit(run.result, 124, SOFT);
    await expectNoOrphans(run);
  });

  it("SIGINT while the script runs (exit 130, said on stderr)", async () => {
    const run = await observe(["src/scripts/never-resolves.ts", "lifecycle-sigint"], interruptWhenStarted("SIGINT"));
    expectExit(run.result, 130, SOFT);
    await expectNoOrphans(run);
    expect(run.result.stderr, describeRun(run.result)).toContain("✖ src/scripts/never-resolves.ts was interrupted by SIGINT\n");
  });

  it("SIGTERM while the script runs (exit 143, said on stderr)", async () => {
    const run = await observe(["src/scripts/never-resolves.ts", "lifecycle-sigterm"], interruptWhenStarted("SIGTERM"));
    expectExit(run.result, 143, SOFT);
    await expectNoOrphans(run);
    expect(run.result.stderr, describeRun(run.result)).toContain("✖ src/scripts/never-resolves.ts was interrupted by SIGTERM\n");
  });
});

describe("Ctrl-C and the script's signal", () => {
  it("SIGINT aborts the script's signal before the launcher gives up", async () => {
    const run = await observe(["src/scripts/never-resolves.ts", "ctrl-c"], interruptWhenStarted("SIGINT"));
    await expectNoOrphans(run);
    // never-resolves.ts writes marker:ctrl-c to KV when its signal fires; read it in a fresh run.
    const check = await runCliBounded(["--json", "src/scripts/read-marker.ts", "ctrl-c"], { cwd: project.dir });
    expect(check.code, describeRun(check)).toBe(0);
    expect(parseJsonStdout(check), describeRun(check)).toEqual({
      ok: true,
      result: { marker: expect.stringMatching(/^aborted: /) },
    });
  });
});
