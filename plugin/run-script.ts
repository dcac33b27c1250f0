import path from "node:path";
import type { FailureKind, SerializedError } from "../shared/protocol.js";
import { startDevServer, type StartedServer } from "./dev-server.js";
import { createLauncherLogger } from "./launcher-logger.js";
import { postRun } from "./post-run.js";
import { PROCESS_OUTPUT, type ScriptOutput } from "./script-output.js";
import { resolveScriptPath } from "./script-path.js";
import { UsageError } from "./usage-error.js";

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** The script's path (relative to `cwd`, or absolute); it must lie inside `root`. */
  script: string;
  /** Passed to the script as `args`. */
  args?: string[];
  /** Project root. Default: `cwd`. */
  root?: string;
  /** Vite config file (relative to `cwd`). Default: found like `vite` finds it. */
  config?: string;
  /** Vite mode. Default: `development`. */
  mode?: string;
  /** Abort the script after this many seconds (its `signal` fires first). */
  timeout?: number;
  /** Aborting it cancels the run; a reason of "SIGINT" / "SIGTERM" picks exit code 130 / 143. */
  signal?: AbortSignal;
  /** Where relative paths start. Default: `process.cwd()`. */
  cwd?: string;
  /** Where the script's console output goes. Default: this process's stdout and stderr. */
  output?: ScriptOutput;
  /** Called with short progress notes ("starting the dev server"). */
  onStatus?: (message: string) => void;
}

/** Why a run failed, as the launcher sees it: the route's kinds, or an interruption. */
export type RunFailureKind = FailureKind | "interrupted";

/** What {@link runScript} resolves to. It never rejects for a failed or refused script. */
export type RunOutcome =
  | { ok: true; exitCode: 0; result: unknown; durationMs: number }
  | { ok: false; exitCode: number; kind: RunFailureKind; error: SerializedError; durationMs?: number };

const EXIT_CODES: Record<RunFailureKind, number> = {
  usage: 2,
  forbidden: 2,
  load: 1,
  run: 1,
  result: 1,
  timeout: 124,
  interrupted: 130,
};

/** Extra time the launcher gives the worker past `timeout` before it stops waiting. */
const TIMEOUT_BACKSTOP_MS = 10_000;

/**
 * Runs one script inside the project's worker: starts the user's dev server, posts the
 * run, closes the server. Resolves to the outcome and the exit code the CLI would use.
 */
export async function runScript(options: RunScriptOptions): Promise<RunOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const root = path.resolve(cwd, options.root ?? ".");
  const output = options.output ?? PROCESS_OUTPUT;
  // Miniflare would otherwise try to download its Request.cf data at start-up.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

  const script = resolveScriptPath(root, options.script, cwd);
  if (!script.ok) return failure("usage", "UsageError", script.message);
  const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);

  const cancel = new AbortController();
  const onAbort = (): void => cancel.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let server: StartedServer | undefined;
  try {
    options.onStatus?.("Starting the dev server…");
    server = await startDevServer({
      root,
      configFile: options.config === undefined ? undefined : path.resolve(cwd, options.config),
      mode: options.mode ?? "development",
      logger: createLauncherLogger(output),
    }).catch((error: unknown) => {
      if (error instanceof UsageError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new UsageError(`The dev server of ${root} could not start: ${message}`);
    });
    if (cancel.signal.aborted) return interrupted(options.signal?.reason);
    const backstop =
      timeoutMs === undefined ? undefined : setTimeout(() => cancel.abort("timeout"), timeoutMs + TIMEOUT_BACKSTOP_MS);
    const started = performance.now();
    try {
      const response = await postRun({
        url: server.url,
        token: server.token,
        body: { script: script.path, args: options.args ?? [], timeoutMs },
        signal: cancel.signal,
      });
      const durationMs = Math.round(performance.now() - started);
      if (response.ok) return { ok: true, exitCode: 0, result: response.result, durationMs };
      return { ok: false, exitCode: EXIT_CODES[response.kind], kind: response.kind, error: response.error, durationMs };
    } finally {
      clearTimeout(backstop);
    }
  } catch (error) {
    if (cancel.signal.aborted) {
      if (cancel.signal.reason === "timeout") {
        return failure("timeout", "TimeoutError", `The script did not finish within ${options.timeout} s.`);
      }
      return interrupted(options.signal?.reason);
    }
    if (error instanceof UsageError) return failure("usage", error.name, error.message);
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await server?.close();
  }
}

function failure(kind: RunFailureKind, name: string, message: string): RunOutcome {
  return { ok: false, exitCode: EXIT_CODES[kind], kind, error: { name, message } };
}

function interrupted(reason: unknown): RunOutcome {
  const outcome = failure("interrupted", "Interrupted", `Interrupted by ${typeof reason === "string" ? reason : "the caller"}.`);
  if (reason === "SIGTERM") outcome.exitCode = 143;
  return outcome;
}
