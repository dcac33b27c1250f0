/**
 * Helpers of tests/e2e/attach.test.ts and tests/e2e/streaming.test.ts: waiting for a
 * running launcher's output, running many launchers at once with a bound, and reading
 * what they printed line by line.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { recordPath } from "../../common/discovery.js";
import { descendantsOf } from "./processes.js";
import { describeRun, spawnCli, type CliOptions, type CliResult, type RunningCli } from "./run-cli.js";
import type { TempProject } from "./temp-project.js";

const WAIT_LIMIT_MS = 60_000;

/** The discovery record file the product uses for a project copy with a vite.config.mts. */
export function recordFileOf(project: TempProject): string {
  return recordPath(project.dir, path.join(project.dir, "vite.config.mts"));
}

/**
 * Removes what a failed test may leave for a project copy: its discovery record, and the
 * start lock a launcher killed with SIGKILL keeps (the product takes a dead holder's lock
 * over, so this is only tidiness).
 */
export function removeProjectFiles(project: TempProject | undefined): void {
  if (!project) return;
  const file = recordFileOf(project);
  rmSync(file, { force: true });
  rmSync(file.replace(/\.json$/, ".lock"), { force: true });
}

/**
 * Stops what a test started (`stop`, if given), then removes the project copy and its
 * discovery files; the copy goes even when stopping throws.
 */
export async function removeProject(project: TempProject | undefined, stop?: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await stop?.();
  } finally {
    removeProjectFiles(project);
    await project?.remove();
  }
}

/** The lines of a stream's text, without the last newline's empty tail. */
export function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

/** What a launcher printed so far, for an assertion message. */
export function describeRunning(running: RunningCli): string {
  const { stdout, stderr } = running.output();
  return describeRun({ code: running.child.exitCode, signal: running.child.signalCode, stdout, stderr, pid: running.pid });
}

/** True once the launcher process has exited. */
export function hasExited(running: RunningCli): boolean {
  return running.child.exitCode !== null || running.child.signalCode !== null;
}

/**
 * Waits (bounded, polling every 20 ms) until the running launcher has printed `text` on
 * `stream`. Rejects if it exits first or the limit passes.
 */
export async function waitForOutput(
  running: RunningCli,
  stream: "stdout" | "stderr",
  text: string,
  limitMs = WAIT_LIMIT_MS,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!running.output()[stream].includes(text)) {
    if (hasExited(running)) {
      throw new Error(`The launcher exited before printing ${JSON.stringify(text)} on ${stream}.\n${describeRunning(running)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`No ${JSON.stringify(text)} on ${stream} within ${limitMs} ms.\n${describeRunning(running)}`);
    }
    await sleep(20);
  }
}

/**
 * Starts one launcher per argument list at once and waits for all of them. If any is still
 * running after `limitMs`, every launcher and everything below them get SIGKILL before this
 * rejects, so a failing test leaves no process behind.
 */
export async function runAllAtOnce(runs: string[][], options: CliOptions & { limitMs?: number }): Promise<CliResult[]> {
  const started = runs.map((args) => spawnCli(args, options));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  try {
    const limit = options.limitMs ?? 90_000;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const late = started.filter((running) => !hasExited(running));
        reject(new Error(`${late.length} launchers were still running after ${limit} ms; killed them.\n${late.map(describeRunning).join("\n")}`));
      }, limit);
    });
    const results = await Promise.race([Promise.all(started.map((running) => running.exited)), overdue]);
    finished = true;
    return results;
  } finally {
    clearTimeout(timer);
    if (!finished) {
      for (const running of started) {
        for (const { pid } of descendantsOf(running.pid)) killQuietly(pid);
        killQuietly(running.pid);
      }
      await Promise.allSettled(started.map((running) => running.exited));
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
