import { randomUUID } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ABORT_GRACE_MS,
  errorMessage,
  type FailureKind,
  type ObjectTarget,
  type ProgressReport,
  type RunFailure,
  type RunResponse,
  type RunSuccess,
} from "../shared/protocol.js";
import { findRunningServer, resolveConfigFile, type RunningServer } from "./attach.js";
import type { StartedServer } from "./dev-server.js";
import { installedVersion, ownVersion } from "./installed-packages.js";
import { withLocation } from "./error-location.js";
import { parseObjectTarget } from "./object-target.js";
import { postToRoute, UnmarkedAnswer } from "./route-client.js";
import { toReadable, type RunInputSource } from "./run-input.js";
import { PROCESS_OUTPUT, stripControlCharacters, type ScriptOutput } from "./script-output.js";
import { resolveBareName } from "../common/script-folders.js";
import { resolveScriptPath } from "../common/script-path.js";
import { countWaiting, markWaiting, tryStartLock, type StartLock } from "./start-lock.js";
import { suggestScript } from "./suggest-script.js";
import { createServerLog } from "./server-log.js";
import { UsageError } from "./usage-error.js";
import { shieldWorkerd } from "./workerd-shield.js";

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /**
   * The script's path (relative to `cwd`, or absolute); it must lie inside `root`. A bare
   * name (`seed`) that is no file runs `src/scripts/seed.ts` (or `.mts`, `.js`, `.mjs`, or
   * the same under `scripts/`).
   */
  script: string;
  /**
   * Run this snippet instead of a file (`script` is then only its label). An expression is
   * the result; statements are a function body. `env`, `args`, `ctx` and `signal` are in
   * scope, and imports resolve as in a script in `src/scripts/`. Nothing is written to disk.
   */
  eval?: string;
  /**
   * Apply the worker's pending D1 migrations instead of running a script (`script` is then only
   * its label): of `binding`, or of every D1 binding. `migrateD1` reads the result.
   */
  migrate?: { binding?: string };
  /** Passed to the script as `args`. */
  args?: string[];
  /**
   * The script's `input`: a stream (web or Node), a string (sent as UTF-8) or bytes, streamed
   * to the worker as the script reads it. Default: none (`input` is null).
   */
  input?: RunInputSource;
  /**
   * The worker that runs the script, by its Wrangler `name`: one of the workers in
   * `cloudflare({ auxiliaryWorkers })`. Default: the entry worker.
   */
  worker?: string;
  /**
   * Run inside one Durable Object instance: `"COUNTER:user-1"` (`idFromName`),
   * `"COUNTER:id:<64 hex digits>"` (`idFromString`), or the same as an object. The script's
   * context gains `instance` and `state`.
   */
  durableObject?: string | ObjectTarget;
  /** Project root. Default: `cwd`. */
  root?: string;
  /** Vite config file (relative to `cwd`). Default: found like `vite` finds it. */
  config?: string;
  /** Vite mode. Default: `development`. */
  mode?: string;
  /** Abort the script after this many seconds (its `signal` fires first). */
  timeout?: number;
  /**
   * Run in a `vite dev` of the same project that is already running, if there is one.
   * Default: true. False always starts a fresh server (`--no-attach`).
   */
  attach?: boolean;
  /**
   * Cancels the run: the script's `signal` is aborted, it gets a moment to clean up, then
   * the server closes. A reason of "SIGTERM" picks exit code 143, "SIGHUP" 129; anything else 130.
   */
  signal?: AbortSignal;
  /** Where relative paths start. Default: `process.cwd()`. */
  cwd?: string;
  /** Where the script's console output goes. Default: this process's stdout and stderr. */
  output?: ScriptOutput;
  /**
   * Pass the script's console lines on exactly as written. Default: false, terminal escape
   * sequences and control characters are removed, so a script's text cannot drive the
   * terminal it is printed on.
   */
  rawLogs?: boolean;
  /** Called with short progress notes ("starting the dev server"). */
  onStatus?: (message: string) => void;
  /**
   * Called with what the script's `progress(done, total?, label?)` reports: at most every
   * 100 ms while it runs, and its last report before the run ends.
   */
  onProgress?: (progress: ProgressReport) => void;
  /**
   * Show the log of a dev server the launcher starts (Vite, its plugins, wrangler, the app's
   * own console) on `output.stderr` as it comes. Default: false; the log is kept and shown
   * only when the server fails to start or the script fails to load or to answer. While that
   * server lives, whatever this process writes to its stdout and stderr other than through
   * `output` is that log, so plugins cannot write into the script's output.
   */
  verbose?: boolean;
}

/** What {@link runScript} resolves to. It never rejects for a failed or refused script. */
export type RunOutcome = (RunSuccess & { exitCode: 0 }) | (RunFailure & { exitCode: number });

const EXIT_CODES: Record<FailureKind, number> = {
  usage: 2,
  forbidden: 2,
  load: 1,
  run: 1,
  result: 1,
  timeout: 124,
  interrupted: 130,
};

/** Extra time the launcher waits past `timeout` and the grace period before it stops waiting. */
const TIMEOUT_BACKSTOP_MS = 10_000;

/**
 * Runs one script inside the project's worker: in the project's `vite dev` if one is running
 * (unless `attach` is false), or else in the user's dev server started for it and closed
 * afterwards. Resolves to the outcome and the exit code the CLI would use.
 */
export async function runScript(options: RunScriptOptions): Promise<RunOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const root = path.resolve(cwd, options.root ?? ".");
  // Miniflare would otherwise try to download its Request.cf data at start-up.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

  let target: RunTarget;
  if (options.migrate !== undefined) {
    target = { migrate: options.migrate };
  } else if (options.eval !== undefined) {
    target = { eval: options.eval };
  } else {
    const script = resolveScriptPath(root, resolveBareName(root, cwd, options.script) ?? options.script, cwd);
    if (!script.ok) {
      const suggestion = script.problem === "not-found" ? suggestScript(root, cwd, options.script) : undefined;
      return launcherFailure("usage", "UsageError", suggestion ? `${script.message} Did you mean "${suggestion}"?` : script.message);
    }
    target = { script: script.path };
  }
  if (options.durableObject !== undefined) {
    try {
      target = { ...target, durableObject: parseObjectTarget(options.durableObject) };
    } catch (error) {
      if (error instanceof UsageError) return launcherFailure("usage", error.name, error.message);
      throw error;
    }
  }
  if (options.signal?.aborted) return interrupted(options.signal.reason);
  const mode = options.mode ?? "development";
  const configFile = resolveConfigFile(root, options.config === undefined ? undefined : path.resolve(cwd, options.config));

  const outcome = await withDevServer(
    { root, configFile, mode, options },
    ({ server, runContext }) => runOnServer(server, target, options, runContext),
    explainedByServerLog,
  );
  // Where in the user's code a failure happened, for editors (see formatLocationLine).
  if (outcome.ok || (outcome.kind !== "load" && outcome.kind !== "run")) return outcome;
  return { ...outcome, error: withLocation(outcome.error, root, cwd) };
}

/** How runs are posted to a leased server (see {@link withDevServer}). */
export interface RunContext {
  /** Set for a server this launcher started: the compatibility check of its entry wrapping. */
  root?: string;
  /** The id of the first run: a server it started closes once the other launchers' runs are done. */
  runId?: string;
  /** Called once the first run's answer has begun (an attached server: the waiting mark goes). */
  onStarted?: () => void;
}

/** A dev server for one launcher call's runs, and how to post them there. */
export interface ServerLease {
  server: RunningServer | StartedServer;
  runContext: RunContext;
}

/** Where a launcher call runs. */
export interface ServerPlace {
  root: string;
  configFile: string | undefined;
  mode: string;
  options: RunScriptOptions;
  /** Watch the project's files in a server it starts (see StartServerOptions.watch). */
  watch?: boolean;
}

/**
 * Runs `use` with the project's running `vite dev` (unless `attach` is false), or else with
 * the user's dev server started for it, and closes that server afterwards (once the runs that
 * other launchers sent to it are done). A usage or start-up problem resolves to its outcome.
 * `explained`: whether what `use` returned is a failure the server's log explains, so the kept
 * log is shown.
 */
export async function withDevServer<T>(
  { root, configFile, mode, options, watch }: ServerPlace,
  use: (lease: ServerLease) => Promise<T>,
  explained: (value: T) => boolean = () => false,
): Promise<T | RunOutcome> {
  let lock: StartLock | undefined;
  let waiting: { remove(): void } | undefined;
  let server: StartedServer | undefined;
  const serverLog = createServerLog({ verbose: options.verbose ?? false, write: (options.output ?? PROCESS_OUTPUT).stderr });
  let releaseServerOutput: (() => void) | undefined;
  let unshield: (() => void) | undefined;
  let value: T | undefined;
  try {
    if (options.attach !== false) {
      // Marked from the first look until its run has reached the server, so that a launcher
      // that shares its server does not close it in between.
      waiting = markWaiting(root, configFile);
      const found = await findOrClaimServer(root, configFile, mode, options);
      if (found === "interrupted") return interrupted(options.signal?.reason);
      if ("url" in found) {
        options.onStatus?.(`Running in the dev server at ${found.url} (pid ${found.pid}).`);
        return await use({ server: found, runContext: { onStarted: () => waiting?.remove() } });
      }
      waiting.remove();
      lock = found.lock;
    }
    options.onStatus?.("Starting the dev server…");
    releaseServerOutput = serverLog.captureProcessOutput();
    unshield = shieldWorkerd(root);
    // Loaded only here: attaching to a running server needs none of it.
    const { startDevServer } = await import("./dev-server.js");
    server = await startDevServer({
      root,
      configFile,
      mode,
      logger: serverLog.logger,
      // Holding the start lock, this server is the project's shared one until it closes.
      discoverable: lock !== undefined,
      watch: watch ?? false,
    }).catch((error: unknown) => {
      if (error instanceof UsageError) throw error;
      serverLog.replay();
      throw new UsageError(`The dev server of ${root} could not start: ${errorMessage(error)}`);
    });
    if (options.signal?.aborted) return interrupted(options.signal.reason);
    const runId = randomUUID();
    value = await use({ server, runContext: { root, runId } });
    if (lock) await waitUntilIdle(server, runId, root, configFile, options);
    return value;
  } catch (error) {
    if (error instanceof UsageError) return launcherFailure("usage", error.name, error.message);
    throw error;
  } finally {
    waiting?.remove();
    await server?.close();
    releaseServerOutput?.();
    unshield?.();
    lock?.release();
    if (value !== undefined && explained(value)) serverLog.replay();
  }
}

/** What a run runs: a script file (its canonical path) or a snippet, and where. */
type RunTarget = ({ script: string } | { eval: string } | { migrate: { binding?: string } }) & { durableObject?: ObjectTarget };

/** How long to wait for another launcher to start the project's dev server. */
const START_WAIT_MS = 120_000;
const POLL_MS = 100;

/**
 * A running server of the project, or the start lock (this launcher starts the server and
 * shares it), waiting while another launcher holds the lock and is starting one.
 */
async function findOrClaimServer(
  root: string,
  configFile: string | undefined,
  mode: string,
  options: RunScriptOptions,
): Promise<RunningServer | { lock: StartLock | undefined } | "interrupted"> {
  const deadline = Date.now() + START_WAIT_MS;
  let said = false;
  for (;;) {
    const running = await findRunningServer(root, configFile, mode);
    if (running) return running;
    const lock = tryStartLock(root, configFile);
    if (lock) return { lock };
    if (Date.now() > deadline) return { lock: undefined }; // Start an unshared one rather than wait forever.
    if (!said) options.onStatus?.("Waiting for another worker-run of this project to start its dev server…");
    said = true;
    await sleep(POLL_MS);
    if (options.signal?.aborted) return "interrupted";
  }
}

/**
 * Keeps a server that other launchers share up while their runs are in progress in it, or
 * while one of them is still on its way to it (its waiting mark). Both are local to this
 * machine: the server's own count of the runs it is answering, and the marks' folder.
 */
async function waitUntilIdle(
  server: StartedServer,
  ownRunId: string,
  root: string,
  configFile: string | undefined,
  options: RunScriptOptions,
): Promise<void> {
  let said = false;
  while (!options.signal?.aborted) {
    // This launcher's own answer may still be closing on the server's side.
    const others = server.runsInFlight().filter((runId) => runId !== ownRunId).length;
    if (others === 0 && countWaiting(root, configFile) === 0) return;
    if (others > 0 && !said) {
      options.onStatus?.(`Waiting for ${others} other run(s) in this dev server to finish before closing it…`);
      said = true;
    }
    await sleep(POLL_MS);
  }
}

/** Posts the run and waits for its answer, turning a cancel or a lost timeout into an outcome. */
async function runOnServer(
  server: RunningServer | StartedServer,
  target: RunTarget,
  options: RunScriptOptions,
  context: RunContext,
): Promise<RunOutcome> {
  const { root } = context;
  const runId = context.runId ?? randomUUID();
  const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);
  const connection = new AbortController();
  const started = performance.now();
  const output = options.output ?? PROCESS_OUTPUT;
  const answer = postToRoute({
    url: server.url,
    token: server.token,
    body: { ...target, args: options.args ?? [], ...("script" in target ? { name: options.script } : {}), timeoutMs, stream: true },
    runId,
    worker: options.worker,
    ...(context.onStarted ? { onResponse: context.onStarted } : {}),
    signal: connection.signal,
    onLog: (event) => output[event.stream](options.rawLogs ? event.text : stripControlCharacters(event.text)),
    input: options.input === undefined ? undefined : toReadable(options.input),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  answer.catch(() => {}); // Raced below; a rejection after a cancel is expected.

  // Aborting `connection` (in finally) also ends the timers and listeners below, so nothing
  // keeps the process alive after the run.
  const cancelled = new Promise<"cancelled">((resolve) => {
    options.signal?.addEventListener("abort", () => resolve("cancelled"), { once: true, signal: connection.signal });
  });
  const waitFor = <T>(ms: number, value: T): Promise<T> =>
    sleep(ms, value, { signal: connection.signal }).catch(() => new Promise<T>(() => {}));
  const backstop =
    timeoutMs === undefined ? undefined : waitFor(timeoutMs + ABORT_GRACE_MS + TIMEOUT_BACKSTOP_MS, "backstop" as const);
  try {
    const first = await Promise.race([answer, cancelled, ...(backstop ? [backstop] : [])]).catch((error: unknown) => {
      if (error instanceof UnmarkedAnswer && "entryWrapped" in server && !server.entryWrapped() && root) {
        throw new UsageError(entryNotWrappedMessage(root, error.status));
      }
      if (error instanceof UsageError) throw error;
      return { lost: error };
    });
    if (typeof first === "object" && "lost" in first) return lostConnection(server.url, first.lost);
    if (first === "cancelled") {
      // Abort the script's signal in the worker and give it its grace period to clean up.
      const cancel = { cancel: runId, ...(target.durableObject ? { durableObject: target.durableObject } : {}) };
      await postToRoute({ url: server.url, token: server.token, body: cancel, worker: options.worker, signal: connection.signal }).catch(
        () => {},
      );
      await Promise.race([answer.catch(() => {}), waitFor(ABORT_GRACE_MS + 1_000, undefined)]);
      return interrupted(options.signal?.reason);
    }
    if (first === "backstop") {
      return launcherFailure("timeout", "TimeoutError", `The script did not finish within ${options.timeout} s.`);
    }
    return toOutcome(first, Math.round(performance.now() - started));
  } finally {
    connection.abort();
  }
}

function toOutcome(response: RunResponse, durationMs: number): RunOutcome {
  if (response.ok) {
    return { ok: true, exitCode: 0, result: response.result, durationMs, ...(response.help === undefined ? {} : { help: response.help }) };
  }
  return { ok: false, exitCode: EXIT_CODES[response.kind], kind: response.kind, error: response.error, durationMs };
}

/**
 * workerRun() wraps the user's entry where @cloudflare/vite-plugin imports it, as
 * `virtual:cloudflare/user-entry` from its own `virtual:cloudflare/worker-entry` (every
 * release from 1.13 on). A release that changes that leaves the route to the app.
 */
function entryNotWrappedMessage(root: string, status: number): string {
  const cloudflare = installedVersion(root, "@cloudflare/vite-plugin") ?? "(version unknown)";
  return `The dev server answered ${status} for the route without worker-run's marker: workerRun() found no worker entry to wrap. vite-plugin-worker-run ${ownVersion()} wraps the entry that @cloudflare/vite-plugin imports as "virtual:cloudflare/user-entry", and the installed @cloudflare/vite-plugin ${cloudflare} does not import it that way. Update vite-plugin-worker-run (npm install -D vite-plugin-worker-run@latest), or install a @cloudflare/vite-plugin release it supports (see its README).`;
}

/** Failures whose cause the dev server's log may show: a load error, a lost or hung run. */
function explainedByServerLog(outcome: RunOutcome): boolean {
  return !outcome.ok && (outcome.kind === "load" || (outcome.kind === "run" && outcome.error.stack === undefined));
}

function lostConnection(url: string, error: unknown): RunOutcome {
  return launcherFailure("run", "Error", `Lost the dev server at ${url} during the run (${errorMessage(error)}); the script may not have finished.`);
}

/** An outcome the launcher decides itself, with no answer from the worker behind it. */
function launcherFailure(kind: FailureKind, name: string, message: string): RunOutcome {
  return { ok: false, exitCode: EXIT_CODES[kind], kind, error: { name, message } };
}

/** Exit codes of the signals the CLI handles: 128 + the signal's number. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function interrupted(reason: unknown): RunOutcome {
  const outcome = launcherFailure("interrupted", "Interrupted", `Interrupted by ${typeof reason === "string" ? reason : "the caller"}.`);
  if (typeof reason === "string" && reason in SIGNAL_EXIT_CODES) outcome.exitCode = SIGNAL_EXIT_CODES[reason]!;
  return outcome;
}
