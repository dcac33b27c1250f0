/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group, which holds
 * the launcher and the workerd its dev server started. Closing the terminal sends SIGHUP the
 * same way, and `kill -TERM -<pgid>` SIGTERM. Each must behave like the signal sent to the
 * launcher alone: the script's `signal` aborts and its clean-up runs (it writes a KV marker
 * that a later run reads back), one line says what happened, the exit code is 128 + the
 * signal's number, no crash noise is printed, and no process is left.
 */
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { observeCli, runCliBounded, type ObservedRun } from "../helpers/cli-bounded.js";
import { waitForOutput } from "../helpers/attach-streaming.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { isAlive } from "../helpers/processes.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "attach"));
});

afterAll(async () => {
  await project?.remove();
});

/** Runs `args` as a terminal's foreground job and signals the whole group once the script runs. */
function runAndSignalGroup(args: string[], signals: NodeJS.Signals[]): Promise<ObservedRun> {
  return observeCli(args, {
    cwd: project.dir,
    processGroup: true,
    during: async (running) => {
      await waitForOutput(running, "stdout", "waiting");
      for (const [index, signal] of signals.entries()) {
        if (index > 0) await delay(300);
        process.kill(-running.pid, signal);
      }
    },
  });
}

async function expectNoOrphans({ result, seen }: ObservedRun): Promise<void> {
  const context = `${describeRun(result)}\n--- descendants seen ---\n${seen.map((p) => `${p.pid} ${p.name}`).join("\n")}`;
  expect(seen.some((descendant) => descendant.name === "workerd"), `no workerd below the launcher\n${context}`).toBe(true);
  await vi.waitFor(
    () => expect(seen.filter((descendant) => isAlive(descendant.pid)), `still alive\n${context}`).toEqual([]),
    { timeout: 5_000, interval: 100 },
  );
}

async function readMarker(label: string): Promise<unknown> {
  const result = await runCliBounded(["--json", "src/scripts/read-marker.ts", label], { cwd: project.dir });
  expect(result.code, describeRun(result)).toBe(0);
  return (JSON.parse(result.stdout) as { result: { marker: unknown } }).result.marker;
}

describe.each([
  { signal: "SIGINT", code: 130 },
  { signal: "SIGTERM", code: 143 },
  { signal: "SIGHUP", code: 129 },
] as const)("$signal to the whole process group of a cold run", ({ signal, code }) => {
  let run: ObservedRun;

  beforeAll(async () => {
    run = await runAndSignalGroup(["src/scripts/wait-for-abort.ts", signal], [signal]);
  });

  test(`exits ${code} with one line that says what happened, and nothing else`, () => {
    const { result } = run;
    expect(result.code, describeRun(result)).toBe(code);
    expect(result.stdout, describeRun(result)).toBe("waiting\n");
    expect(result.stderr, describeRun(result)).toBe(
      `Starting the dev server…\n✖ src/scripts/wait-for-abort.ts was interrupted by ${signal}\n`,
    );
  });

  test("the script's signal fired and its clean-up ran inside the worker", async () => {
    expect(await readMarker(signal)).toBe("aborted: AbortError: Interrupted");
  });

  test("leaves no process behind", async () => {
    await expectNoOrphans(run);
  });
});

describe("a second Ctrl-C while the script ignores the first", () => {
  let run: ObservedRun;

  beforeAll(async () => {
    run = await runAndSignalGroup(["src/scripts/ignore-abort.ts"], ["SIGINT", "SIGINT"]);
  });

  test("exits 130 at once: before the script's grace period ends, so with no closing line", () => {
    const { result } = run;
    expect(result.code, describeRun(result)).toBe(130);
    expect(result.stdout, describeRun(result)).toBe("waiting\n");
    expect(result.stderr, describeRun(result)).toBe("Starting the dev server…\n");
  });

  test("leaves no process behind", async () => {
    await expectNoOrphans(run);
  });
});
