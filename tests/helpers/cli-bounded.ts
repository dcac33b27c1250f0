import { descendantsOf, watchDescendants } from "./processes.js";
import { describeRun, spawnCli, type CliOptions, type CliResult, type RunningCli } from "./run-cli.js";

/** Longer than any launcher run in the specs, shorter than Vitest's 120 s test timeout. */
const RUN_LIMIT_MS = 90_000;

/** A finished launcher run, with every descendant process seen while it ran. */
export interface ObservedRun {
  result: CliResult;
  seen: { pid: number; name: string }[];
}

/**
 * Runs `worker-run …args` while watching its process tree. `during` may act on the running
 * launcher (wait for output, send a signal). If `during` throws or the launcher outlives
 * `limitMs`, the launcher and everything below it get SIGKILL before this rejects, so a
 * failing test leaves no process behind.
 */
export async function observeCli(
  args: string[],
  options: CliOptions & { during?: (running: RunningCli) => Promise<void>; limitMs?: number },
): Promise<ObservedRun> {
  const running = spawnCli(args, options);
  const watcher = watchDescendants(running.pid);
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await options.during?.(running);
    const limit = options.limitMs ?? RUN_LIMIT_MS;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const { stdout, stderr } = running.output();
        const sofar = describeRun({ code: null, signal: null, stdout, stderr, pid: running.pid });
        reject(new Error(`The launcher was still running after ${limit} ms; killed it.\n${sofar}`));
      }, limit);
    });
    const result = await Promise.race([running.exited, overdue]);
    finished = true;
    return { result, seen: watcher.stop() };
  } finally {
    clearTimeout(timer);
    if (!finished) {
      const seen = [...watcher.stop(), ...descendantsOf(running.pid)];
      for (const { pid } of seen) killQuietly(pid);
      killQuietly(running.pid);
      await running.exited;
    }
  }
}

/** Runs `worker-run …args` to the end, killed (with all it started) if it outlives `limitMs`. */
export async function runCliBounded(args: string[], options: CliOptions & { limitMs?: number }): Promise<CliResult> {
  return (await observeCli(args, options)).result;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
