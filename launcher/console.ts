import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import repl from "node:repl";
import { inspect } from "node:util";
import type { ConsoleResult } from "../shared/described-value.js";
import { errorMessage, type ObjectTarget, type RunResponse } from "../shared/protocol.js";
import { resolveConfigFile } from "./attach.js";
import { consoleHistoryFile } from "./console-history.js";
import { completeEntry, isIncomplete } from "./console-input.js";
import { reviveValue } from "./console-value.js";
import { parseObjectTarget } from "./object-target.js";
import { formatFailure } from "./report.js";
import { postToRoute } from "./route-client.js";
import { withDevServer, type RunOutcome, type RunScriptOptions, type ServerLease } from "./run-script.js";
import { stripControlCharacters } from "./script-output.js";
import { UsageError } from "./usage-error.js";

/** Options of {@link runConsole}: where, as for a run, and the terminal it talks to. */
export interface ConsoleOptions
  extends Pick<RunScriptOptions, "root" | "config" | "mode" | "attach" | "verbose" | "worker" | "cwd" | "onStatus" | "signal"> {
  durableObject?: string | ObjectTarget;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean };
  /** Where status lines and the script's stderr go. */
  errors: NodeJS.WritableStream;
}

const HELP_INTRO =
  "Each entry runs inside the worker: env, ctx, signal (and under --do instance, state) are in scope, top-level await works, declarations and imports persist. _ is the last result, _error the last error.";

/**
 * `worker-run --console`: a prompt whose every entry runs inside the app's worker, in the
 * project's running `vite dev` or a dev server started for the session. On a terminal it is
 * Node's REPL (history, Ctrl-R, Tab, `.help`, `.load`, `.exit`) with an evaluator that sends
 * each entry to the worker; from a pipe it evaluates each entry in turn. Resolves to the exit
 * code: 0, or 1 when an entry failed and stdin was not a terminal, 2 for a usage problem.
 */
export async function runConsole(options: ConsoleOptions): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  const root = path.resolve(cwd, options.root ?? ".");
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  let durableObject: ObjectTarget | undefined;
  try {
    durableObject = options.durableObject === undefined ? undefined : parseObjectTarget(options.durableObject);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    options.errors.write(`worker-run: ${error.message}\n`);
    return 2;
  }
  const configFile = resolveConfigFile(root, options.config === undefined ? undefined : path.resolve(cwd, options.config));
  const output = { stdout: (text: string) => options.output.write(`${text}\n`), stderr: (text: string) => options.errors.write(`${text}\n`) };
  const place = { root, configFile, mode: options.mode ?? "development", options: { ...options, script: "--console", output }, watch: true };
  const outcome = await withDevServer(place, (lease) => openSession(lease, options, root, configFile, durableObject));
  if (typeof outcome === "number") return outcome;
  if (!outcome.ok) options.errors.write(`${formatFailure(outcome)}\n`);
  return outcome.exitCode;
}

/** One console session in a leased server; resolves to the exit code once it is left. */
function openSession(
  { server, runContext }: ServerLease,
  options: ConsoleOptions,
  root: string,
  configFile: string | undefined,
  durableObject: ObjectTarget | undefined,
): Promise<number> {
  const session = randomUUID();
  const terminal = options.input.isTTY === true && options.output.isTTY === true;
  const colors = terminal && (options.output.hasColors?.() ?? false);
  const completions = { names: [] as string[], bindings: [] as string[] };
  let failures = 0;
  /** A usage failure (an unknown --worker, a --do target that is not there) ends the session: exit 2. */
  let usageFailure = false;
  let current: { runId: string; cancel: () => void } | undefined;
  let started = false;

  /** Sends one entry and prints what it did (`quiet`: only learns the names); never rejects. */
  const evaluate = async (code: string, quiet = false): Promise<void> => {
    const runId = randomUUID();
    const connection = new AbortController();
    current = {
      runId,
      cancel: () => {
        const body = { cancel: runId, ...(durableObject ? { durableObject } : {}) };
        postToRoute({ url: server.url, token: server.token, body, worker: options.worker, signal: connection.signal }).catch(() => {});
      },
    };
    let response: RunResponse;
    try {
      response = await postToRoute({
        url: server.url,
        token: server.token,
        body: { eval: code, args: [], stream: true, session, ...(durableObject ? { durableObject } : {}) },
        runId,
        worker: options.worker,
        signal: connection.signal,
        onResponse: () => {
          if (!started) runContext.onStarted?.();
          started = true;
        },
        onLog: (event) => (event.stream === "stdout" ? options.output : options.errors).write(`${stripControlCharacters(event.text)}\n`),
      });
    } catch (error) {
      response = { ok: false, kind: "run", error: { name: "Error", message: `Lost the dev server at ${server.url}: ${errorMessage(error)}` } };
    } finally {
      current = undefined;
      connection.abort();
    }
    if (response.ok) {
      const result = response.result as ConsoleResult;
      completions.names = result.names;
      completions.bindings = result.bindings;
      if (quiet) return;
      options.output.write(`${inspect(reviveValue(result.value), { colors, depth: 4 })}\n`);
      return;
    }
    failures++;
    if (response.kind === "usage") usageFailure = true;
    const outcome: RunOutcome = { ...response, exitCode: 1 };
    options.errors.write(`${formatFailure(outcome as Exclude<RunOutcome, { ok: true }>)}\n`);
  };

  // On a terminal, learn the binding names before the first prompt, so that Tab completes env.
  const ready = terminal ? evaluate("undefined", true) : Promise.resolve();
  return ready.then(() => usageFailure ? 2 : new Promise<number>((resolve) => {
    let queue = Promise.resolve();
    const replServer = repl.start({
      prompt: terminal ? (options.worker ? `${options.worker}> ` : "worker> ") : "",
      input: options.input,
      output: options.output,
      terminal,
      useColors: colors,
      ignoreUndefined: true,
      preview: false,
      // The REPL calls a completer with a callback, whatever its arity.
      completer: (line: string, callback: (error: null, result: [string[], string]) => void) =>
        callback(null, completeEntry(line, completions)),
      eval: (code, _context, _file, callback) => {
        if (isIncomplete(code)) {
          callback(new repl.Recoverable(new SyntaxError("Unexpected end of input")), undefined);
          return;
        }
        if (!code.trim()) {
          callback(null, undefined);
          return;
        }
        queue = queue.then(async () => {
          if (usageFailure || options.signal?.aborted) return; // The session is over; what is still queued is not run.
          await evaluate(code);
          if (usageFailure) replServer.close();
        });
        // On a terminal the prompt comes back once the entry is done; from a pipe the next
        // entry is read at once and waits its turn in the queue.
        if (terminal) void queue.then(() => callback(null, undefined));
        else callback(null, undefined);
      },
    });
    // From a pipe there is no one to prompt, and no "| " before each continued line.
    if (!terminal) replServer.displayPrompt = () => {};
    replServer.defineCommand("help", {
      help: "Show the console's commands",
      action() {
        this.output.write(`${HELP_INTRO}\n`);
        for (const [name, command] of Object.entries(this.commands).sort()) this.output.write(`.${name.padEnd(8)} ${command?.help ?? ""}\n`);
        this.displayPrompt();
      },
    });
    // Ctrl-C while an entry runs aborts that entry (its signal); the session stays.
    const replSigint = replServer.listeners("SIGINT") as ((...args: unknown[]) => void)[];
    replServer.removeAllListeners("SIGINT");
    replServer.on("SIGINT", (...args: unknown[]) => {
      if (current) {
        current.cancel();
        return;
      }
      for (const listener of replSigint) listener.apply(replServer, args);
    });
    // A signal to the process (not Ctrl-C typed at the prompt, which is a key on a terminal):
    // the entry running is cancelled and the session ends, so its server is closed.
    options.signal?.addEventListener("abort", () => {
      current?.cancel();
      replServer.close();
    }, { once: true });
    if (terminal) {
      const history = consoleHistoryFile(root, configFile);
      try {
        mkdirSync(path.dirname(history), { recursive: true, mode: 0o700 });
        chmodSync(path.dirname(history), 0o700);
        replServer.setupHistory(history, () => {});
      } catch {
        // No history then; the console works all the same.
      }
    }
    replServer.on("exit", () => {
      void queue.then(() => resolve(signalExitCode(options.signal) ?? (usageFailure ? 2 : failures > 0 && !terminal ? 1 : 0)));
    });
  }));
}

/** 130, 143 or 129 when the session ended on SIGINT, SIGTERM or SIGHUP. */
function signalExitCode(signal: AbortSignal | undefined): number | undefined {
  if (!signal?.aborted) return undefined;
  return ({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as Record<string, number>)[String(signal.reason)] ?? 130;
}
