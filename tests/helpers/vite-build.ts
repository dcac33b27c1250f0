import { VITE_BIN } from "./paths.js";
import { spawnCaptured } from "./run-cli.js";

export const BUILD_TIMEOUT_MS = 90_000;

/** How a `vite build` ended, and its stdout and stderr interleaved as they came. */
export interface BuildResult {
  code: number | null;
  output: string;
}

/** Process groups of builds still running. */
const running = new Set<number>();

/**
 * `vite build` in `cwd` as a user runs it (the CLI, production NODE_ENV, colours off), to the
 * end, in a process group of its own that is killed if it outlives `limitMs`.
 */
export function viteBuild(cwd: string, limitMs = BUILD_TIMEOUT_MS): Promise<BuildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  delete env.NODE_ENV; // Vitest sets it to "test"; `vite build` should pick production itself.
  delete env.FORCE_COLOR;
  const build = spawnCaptured(process.execPath, [VITE_BIN, "build"], { cwd, env, detached: true });
  running.add(build.pid);
  const timer = setTimeout(() => {
    build.note(`\n[test] vite build did not finish within ${limitMs} ms; killed.`);
    process.kill(-build.pid, "SIGKILL");
  }, limitMs);
  return build.exited.then(
    ({ code }) => {
      clearTimeout(timer);
      running.delete(build.pid);
      return { code, output: build.output().all };
    },
    (error: unknown) => {
      clearTimeout(timer);
      throw error;
    },
  );
}

/** Kills every build still running (with its group), e.g. after a test that failed or timed out. */
export function killViteBuilds(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  running.clear();
}
