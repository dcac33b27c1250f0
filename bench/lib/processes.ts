/**
 * Starting and stopping the processes the benchmark measures, each in its own process
 * group so that one kill reaches workerd too, and the sum of RSS over a process tree,
 * sampled from /proc (Linux). Spawning, `vite dev` and /proc come from tests/helpers.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { spawnCaptured, type CliResult } from "../../tests/helpers/run-cli.js";
import { startViteDev as startDevProcess, type ViteDevProcess } from "../../tests/helpers/vite-dev-process.js";

const STOP_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 120_000;
/**
 * How often a running `vite dev`'s tree is sampled (to kill what outlives it): seldom, as the
 * sampling runs in the bench's own process, which times the app requests.
 */
const WATCH_INTERVAL_MS = 1_000;

/** How a process ended: its output, and when it exited (performance.now()). */
export interface GroupExit extends CliResult {
  endedAt: number;
}

/** A process started in a process group of its own. */
export interface GroupHandle {
  pid: number;
  exited: Promise<GroupExit>;
}

/** How to stop each process group and `vite dev` started and not yet seen to exit, for {@link stopAll}. */
const running = new Set<() => Promise<unknown>>();

/**
 * Spawns a command in a new process group (as a terminal would start it apart from the
 * bench), output captured. `exited` resolves with the exit time (performance.now()).
 */
export function spawnGroup(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): GroupHandle {
  const captured = spawnCaptured(command, args, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env },
    detached: true,
  });
  let endedAt: number | undefined;
  captured.child.once("exit", () => (endedAt = performance.now()));
  // "close" (spawnCaptured's `exited`) waits for the pipes, so the output is complete.
  const exited = captured.exited.then((result) => ({ ...result, endedAt: endedAt ?? performance.now() }));
  const handle: GroupHandle = { pid: captured.pid, exited };
  const stop = (): Promise<void> => stopGroup(handle);
  running.add(stop);
  exited.then(
    () => running.delete(stop),
    () => {},
  );
  return handle;
}

/** SIGTERM to the group, SIGKILL if it is not gone in time; then whatever is left of the group. */
export async function stopGroup(handle: GroupHandle): Promise<void> {
  killGroup(handle.pid, "SIGTERM");
  // Unreferenced: a pending deadline must not keep the bench alive after everything stopped.
  const deadline = sleep(STOP_TIMEOUT_MS, undefined, { ref: false });
  const exited = await Promise.race([handle.exited.catch(() => undefined), deadline]);
  if (!exited) killGroup(handle.pid, "SIGKILL");
  await handle.exited.catch(() => undefined);
  // workerd may outlive a Node parent killed hard; it is still in the group.
  killGroup(handle.pid, "SIGKILL");
}

/** Stops every group and `vite dev` the bench started that is still running (error, Ctrl-C, the end). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** Kills what is left of a group whose leader exited (a child that outlived it). */
export function reapGroup(handle: GroupHandle): void {
  killGroup(handle.pid, "SIGKILL");
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Starts `vite dev` in `dir` as a user would (own process group), on 127.0.0.1 and a free
 * port, and resolves once the worker answers GET / with 200. Its `stop()` may be called
 * more than once; {@link stopAll} stops it too.
 */
export async function startViteDev(dir: string, configFile?: string): Promise<ViteDevProcess> {
  // --bypass-lock: Vite 8.4 refuses a second `vite dev` of one project; the bench runs them side by side on purpose.
  const args = ["--bypass-lock", ...(configFile ? ["--config", configFile] : [])];
  const dev = await startDevProcess(dir, {
    args,
    readyStatus: 200,
    readyTimeoutMs: READY_TIMEOUT_MS,
    watchIntervalMs: WATCH_INTERVAL_MS,
  }).catch((error: unknown) => {
    throw new Error(`vite dev (${configFile ?? "default config"}): ${(error as Error).message}`);
  });
  running.add(dev.stop);
  return dev;
}

/** How often the tree's RSS is sampled while a measured process runs. */
export const SAMPLE_INTERVAL_MS = 20;
export { sampleTreeRss, type TreePeak } from "../../tests/helpers/processes.js";
