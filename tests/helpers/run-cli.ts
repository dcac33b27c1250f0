import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
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
  /**
   * Written to the launcher's stdin, which is then closed (a string), or piped into it as it
   * comes (a stream); without it, stdin is ignored.
   */
  input?: string | NodeJS.ReadableStream;
}

/** A launcher process that is still running, with its output so far. */
export interface RunningCli {
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves once the process has exited. */
  exited: Promise<CliResult>;
}

/** A process started by `spawnCaptured`, its output captured as it comes. */
export interface CapturedProcess extends RunningCli {
  /** Everything printed so far: each stream, and both interleaved in the order they came. */
  output(): { stdout: string; stderr: string; all: string };
  /** Appends the test's own text (e.g. why it killed the process) to stderr and to `all`. */
  note(text: string): void;
}

/**
 * Starts `command …args` with stdin ignored (or fed `input`) and stdout/stderr captured (UTF-8). `exited`
 * resolves on "close" (the output all read) and rejects if the process could not start; a
 * caller that waits for the process its own way may leave it unobserved.
 */
export function spawnCaptured(
  command: string,
  args: string[],
  options: SpawnOptions & { input?: string | NodeJS.ReadableStream },
): CapturedProcess {
  const { input, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (typeof input === "string") child.stdin!.end(input);
  else if (input !== undefined) {
    child.stdin!.on("error", () => {}); // The process may stop reading (and exit) first.
    input.pipe(child.stdin!);
  }
  let stdout = "";
  let stderr = "";
  let all = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    all += chunk;
  });
  const pid = child.pid!;
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, pid }));
  });
  exited.catch(() => {});
  const note = (text: string): void => {
    stderr += text;
    all += text;
  };
  return { child, pid, output: () => ({ stdout, stderr, all }), note, exited };
}

/** Starts `worker-run …args` as a user would (node on the bin shim), colours off. */
export function spawnCli(args: string[], options: CliOptions): RunningCli {
  const { child, pid, output, exited } = spawnCaptured(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env },
    detached: options.processGroup ?? false,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return {
    child,
    pid,
    output: () => {
      const { stdout, stderr } = output();
      return { stdout, stderr };
    },
    exited,
  };
}

/** Runs `worker-run …args` to the end. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return spawnCli(args, options).exited;
}

/** Formats a result for an assertion message, so a failing test shows what the launcher said. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code} (signal ${result.signal})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}
