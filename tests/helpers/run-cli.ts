import { spawn, type ChildProcess } from "node:child_process";
import { BIN } from "./paths.js";

/** How a launcher process ended, and everything it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Start the launcher as the leader of a process group of its own, as a terminal's shell
   * starts a foreground job, so that a test can signal the whole group (`kill(-pid)`).
   */
  processGroup?: boolean;
}

/** A launcher process that is still running, with its output so far. */
export interface RunningCli {
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves once the process has exited. */
  exited: Promise<CliResult>;
}

/** Starts `worker-run …args` as a user would (node on the bin shim), colours off. */
export function spawnCli(args: string[], options: CliOptions): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.processGroup ?? false,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const pid = child.pid!;
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, pid }));
  });
  return { child, pid, output: () => ({ stdout, stderr }), exited };
}

/** Runs `worker-run …args` to the end. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return spawnCli(args, options).exited;
}

/** Formats a result for an assertion message, so a failing test shows what the launcher said. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code} (signal ${result.signal})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}
