/**
 * worker-run [options] <script> [script args…]
 * worker-run [options] -e <code> [args…]
 * worker-run --list
 * worker-run --migrate [binding]
 *
 * Runs a script inside the project's Cloudflare worker dev sandbox, through the user's own
 * Vite config, and prints what it returned.
 *
 * Exit codes: 0 finished; 1 failed to load, threw, or returned something JSON cannot carry;
 * 2 usage or configuration error; 124 --timeout ran out; 130 SIGINT; 143 SIGTERM; 129 SIGHUP.
 */
import path from "node:path";
import { asksForJson, parseCliArgs } from "./cli-args.js";
import { colors } from "./report.js";
import { ownVersion } from "./installed-packages.js";
import { formatFailure, formatJsonOutcome, formatResult, formatScriptList, formatSummary } from "./report.js";
import { openInputFile, pipedStdin } from "./run-input.js";
import { runScript, type RunOutcome, type RunScriptOptions } from "./run-script.js";
import { listScripts } from "../common/script-folders.js";
import { directStream, flushProcessOutput, PROCESS_OUTPUT, stripControlCharacters } from "./script-output.js";
import { createProgressLine } from "./progress-line.js";
import { registerSourceOnceHook } from "./source-once-hook.js";
import { UsageError } from "./usage-error.js";

const HELP = `Usage: worker-run [options] <script> [script args…]

Runs <script> inside your Cloudflare worker's dev sandbox (workerd, with your bindings and
local state), through your own vite.config: in the \`vite dev\` of this project that is already
running, or else in a dev server it starts and closes. The script's default export is called
with { env, args, ctx, signal, input }; what it returns is printed. Piped stdin (or
--input FILE) reaches the script as \`input\`, a stream.

<script> is a path, or a bare name: \`worker-run seed\` runs src/scripts/seed.ts (or .mts, .js,
.mjs, or the same under scripts/) when no file of that exact path exists.

Options (before the script; everything after the script is passed to it as args):
  --config <file>      Vite config file (default: found like vite finds it)
  --mode <mode>        Vite mode (default: development)
  --root <dir>         project root (default: the current directory)
  --no-attach          always start a fresh dev server, even if one of this project runs
  --worker <name>      run in that worker of a multi-worker app (its Wrangler name;
                       default: the entry worker)
  --do <binding>:<name>, --do <binding>:id:<hex>
                       run inside that Durable Object instance; the script also gets
                       { instance, state } (the live object and its DurableObjectState)
  -e, --eval <code>    run a snippet instead of a file (env, args, ctx, signal in scope);
                       an expression is the result, e.g. -e "env.DB.prepare('SELECT 1').first()"
  --migrate [binding]  apply the pending D1 migrations (migrations_dir of the Wrangler
                       config) of every D1 binding, or of that one, inside the sandbox,
                       recorded as wrangler d1 migrations apply records them; runs no
                       script, so a word after it is the binding (options go anywhere)
  --console            an interactive console inside the worker: each entry runs there
                       (env, ctx, signal in scope; top-level await; declarations and
                       imports persist; .help for its commands). Piped stdin: each
                       entry in turn, exit 1 if any failed
  --init               set this Cloudflare Vite app up: workerRun() in the Vite config, a
                       first script in src/scripts/, the editor tasks in .vscode/tasks.json
  --list               list the scripts in src/scripts/ and scripts/ with their first doc
                       line, and the project's workers (--json: the scripts only)
  --json               print exactly one JSON document on stdout; logs go to stderr
  --verbose            show the log of the dev server worker-run starts (Vite, plugins,
                       wrangler, the app's console); shown anyway when the server fails
                       to start or the script fails to load
  --input <file>       stream the file to the script as its input (- for stdin; piped
                       stdin does the same without it)
  --timeout <seconds>  abort the script after that long (exit 124)
  -h, --help           show this help
  -v, --version        show the version

Exit codes: 0 finished, 1 script failed, 2 usage or configuration error,
124 timed out, 130 interrupted (SIGINT), 143 terminated (SIGTERM), 129 hung up (SIGHUP).
`;

/** The signals that cancel a run, each with its exit code (128 + its number). */
const CANCELLING_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * From here on, SIGINT, SIGTERM and SIGHUP cancel what the launcher does (the run, the console,
 * the dev server it starts) instead of killing the process under it: the returned signal aborts
 * with the signal's name, and the exit code is set. A second one exits at once.
 */
function cancelOnSignals(): AbortSignal {
  const interrupt = new AbortController();
  const onSignal = (signal: keyof typeof CANCELLING_SIGNALS): void => {
    // Set first: should anything else exit the process on this signal, the code is still right.
    process.exitCode = CANCELLING_SIGNALS[signal];
    if (interrupt.signal.aborted) process.exit(); // second Ctrl-C: stop now
    interrupt.abort(signal);
  };
  for (const signal of Object.keys(CANCELLING_SIGNALS) as (keyof typeof CANCELLING_SIGNALS)[]) {
    process.on(signal, onSignal);
  }
  return interrupt.signal;
}

async function main(argv: string[]): Promise<number> {
  const command = parseCliArgs(argv);
  if (command.kind === "help") {
    PROCESS_OUTPUT.stdout(HELP);
    return 0;
  }
  if (command.kind === "version") {
    PROCESS_OUTPUT.stdout(ownVersion());
    return 0;
  }
  if (command.kind === "list") {
    const root = path.resolve(command.root ?? ".");
    const scripts = listScripts(root);
    // --json stays the array of scripts that editors read (and fast); the workers show in the text form.
    if (command.json) {
      PROCESS_OUTPUT.stdout(JSON.stringify(scripts));
      return 0;
    }
    const { listWorkers } = await import("./list-workers.js");
    const workers = await listWorkers(root, command.config, command.mode, cancelOnSignals());
    PROCESS_OUTPUT.stdout(formatScriptList(scripts, workers));
    return 0;
  }
  if (command.kind === "init") {
    const { runInit } = await import("./init.js");
    return runInit({
      root: command.root,
      config: command.config,
      print: (text) => PROCESS_OUTPUT.stdout(text),
      error: (text) => PROCESS_OUTPUT.stderr(text),
    });
  }
  if (command.kind === "migrate") {
    const { migrateD1, formatMigrateSummary } = await import("./migrate.js");
    const outcome = await migrateD1({
      ...(command.binding === undefined ? {} : { binding: command.binding }),
      ...serverOptions(command),
      signal: cancelOnSignals(),
      output: command.json ? { stdout: PROCESS_OUTPUT.stderr, stderr: PROCESS_OUTPUT.stderr } : PROCESS_OUTPUT,
      onStatus: (message) => PROCESS_OUTPUT.stderr(colors.dim(message)),
    });
    // The applied files were the run's output; the result (by binding) is for --json only.
    report("--migrate", outcome.ok && !command.json ? { ...outcome, result: undefined } : outcome, command.json, formatMigrateSummary(outcome));
    return outcome.exitCode;
  }
  if (command.kind === "console") {
    const { runConsole } = await import("./console.js");
    return runConsole({
      root: command.root,
      config: command.config,
      mode: command.mode,
      attach: command.attach,
      verbose: command.verbose,
      ...(command.worker === undefined ? {} : { worker: command.worker }),
      ...(command.durableObject === undefined ? {} : { durableObject: command.durableObject }),
      input: process.stdin,
      output: directStream(process.stdout),
      errors: directStream(process.stderr),
      onStatus: (message) => PROCESS_OUTPUT.stderr(colors.dim(message)),
      signal: cancelOnSignals(),
    });
  }
  const stdio = command.json ? { stdout: PROCESS_OUTPUT.stderr, stderr: PROCESS_OUTPUT.stderr } : PROCESS_OUTPUT;
  // The script's progress, on stderr; --json prints nothing extra. Every other line clears it first.
  const stderr = directStream(process.stderr);
  const progress = command.json
    ? undefined
    : createProgressLine({ name: command.script, tty: stderr.isTTY === true, write: (text) => void stderr.write(text), columns: () => stderr.columns });
  const output = progress ? { stdout: progress.around(stdio.stdout), stderr: progress.around(stdio.stderr) } : stdio;
  const input =
    command.input === undefined ? pipedStdin() : command.input === "-" ? process.stdin : await openInputFile(command.input, process.cwd());
  const outcome = await runScript({
    script: command.script,
    eval: command.code,
    args: command.args,
    ...serverOptions(command),
    ...(command.durableObject === undefined ? {} : { durableObject: command.durableObject }),
    ...(input === undefined ? {} : { input }),
    signal: cancelOnSignals(),
    output,
    onStatus: (message) => output.stderr(colors.dim(message)),
    ...(progress ? { onProgress: progress.update } : {}),
  });
  progress?.clear();
  report(command.script, outcome, command.json);
  return outcome.exitCode;
}

/** What a run and `--migrate` take alike from the command line: where, how long, which worker. */
function serverOptions(command: {
  root: string | undefined;
  config: string | undefined;
  mode: string | undefined;
  timeout: number | undefined;
  attach: boolean;
  verbose: boolean;
  worker: string | undefined;
}): Pick<RunScriptOptions, "root" | "config" | "mode" | "timeout" | "attach" | "verbose" | "worker"> {
  const { root, config, mode, timeout, attach, verbose, worker } = command;
  return { root, config, mode, timeout, attach, verbose, ...(worker === undefined ? {} : { worker }) };
}

function report(script: string, outcome: RunOutcome, json: boolean, summary = formatSummary(script, outcome)): void {
  if (json) {
    PROCESS_OUTPUT.stdout(formatJsonOutcome(outcome));
    return;
  }
  if (outcome.ok && outcome.help !== undefined) {
    // A declared script's --help: the help is the whole answer, as for worker-run --help.
    PROCESS_OUTPUT.stdout(stripControlCharacters(outcome.help));
    return;
  }
  if (outcome.ok) {
    const result = formatResult(outcome.result);
    if (result) PROCESS_OUTPUT.stdout(result);
  } else if (outcome.kind !== "interrupted") {
    PROCESS_OUTPUT.stderr(formatFailure(outcome));
  }
  PROCESS_OUTPUT.stderr(summary);
}

/** Exits once everything written has been flushed (a pipe may still be draining). */
function exitAfterFlush(code: number): void {
  flushProcessOutput(() => process.exit(code));
}

// Before any Vite config loads: it imports the Cloudflare plugin, wrangler and Miniflare.
registerSourceOnceHook();

const argv = process.argv.slice(2);
main(argv).then(exitAfterFlush, (error: unknown) => {
  if (error instanceof UsageError) {
    if (asksForJson(argv)) {
      PROCESS_OUTPUT.stdout(JSON.stringify({ ok: false, error: { name: error.name, message: error.message } }));
    }
    PROCESS_OUTPUT.stderr(`worker-run: ${error.message}`);
    exitAfterFlush(2);
    return;
  }
  PROCESS_OUTPUT.stderr(`worker-run: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitAfterFlush(1);
});
