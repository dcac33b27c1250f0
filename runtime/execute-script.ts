import type { ConsoleResult } from "../shared/described-value.js";
import {
  CONSOLE_MODULE_PREFIX,
  errorMessage,
  EVAL_MODULE_PREFIX,
  SCRIPT_MODULE_PREFIX,
  SCRIPT_REFUSED_MARKER,
  type RunFailure,
  type RunRequest,
  type RunResponse,
} from "../shared/protocol.js";
import { MIGRATE_MODULE_PREFIX } from "../shared/d1-migrations.js";
import { openRunConsole } from "./console-capture.js";
import { prepareDeclaredScript } from "./declared-script.js";
import { describeValue } from "./describe-value.js";
import { openScriptInput } from "./run-input.js";
import { OBJECT_SCRIPT_MARK, type ScriptInput } from "./script.js";
import type { ObjectScope } from "./dispatcher.js";
import { failure } from "./outcome.js";
import type { RunLog } from "./run-log.js";
import { createRunProgress } from "./run-progress.js";
import { createRunStopper, RunStopped, type RunStopper } from "./run-stopper.js";
import { findUnserializable, serializeError } from "./serialize.js";

/**
 * The stoppers of the runs in progress in this isolate, by run id, so that a cancel request
 * can reach them. A run whose request workerd cancels as hung never leaves; its id is never
 * reused.
 */
const runsInProgress = new Map<string, RunStopper>();

/**
 * The scopes of the console sessions of this isolate, by session id: what their entries
 * declared, `_` and `_error`. On the global object, so they outlive a reload of the worker's
 * modules (an edit of an app module between two entries); they live as long as the isolate.
 */
const consoleScopes: Map<string, Record<string, unknown>> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("vite-plugin-worker-run.console-scopes")
] ??= new Map()) as Map<string, Record<string, unknown>>;

/** Aborts the signal of a run in progress; false when there is no such run. */
export function cancelRun(runId: string): boolean {
  const stopper = runsInProgress.get(runId);
  stopper?.stop("interrupted");
  return stopper !== undefined;
}

/** Runs the script and turns whatever happens into the run's answer. */
export async function completeRun(
  runId: string,
  body: RunRequest,
  env: unknown,
  ctx: ExecutionContext,
  scope: ObjectScope | undefined,
  log: RunLog | undefined,
  input?: ReadableStream<Uint8Array>,
): Promise<RunResponse> {
  const started = Date.now();
  try {
    const outcome = await executeScript(runId, body, env, ctx, scope, log, input);
    return { ...outcome, durationMs: Date.now() - started };
  } catch (error) {
    // Still an answer the launcher can read, never the dev server's HTML error page.
    return failure("run", { name: "Error", message: `worker-run could not complete the run: ${errorMessage(error)}` });
  }
}

async function executeScript(
  runId: string,
  body: RunRequest,
  env: unknown,
  ctx: ExecutionContext,
  scope: ObjectScope | undefined,
  log: RunLog | undefined,
  input: ReadableStream<Uint8Array> | undefined,
): Promise<RunResponse> {
  const stopper = createRunStopper(body.timeoutMs);
  runsInProgress.set(runId, stopper);
  // The run id also names this run's instance of the script module, and its console.
  const runConsole = log ? openRunConsole(runId, log.sink) : undefined;
  const progress = log ? createRunProgress(log.progress) : undefined;
  try {
    const context: ScriptContextValue = {
      env,
      args: body.args,
      ctx,
      signal: stopper.signal,
      input: input ? openScriptInput(input, stopper.signal) : null,
      progress: progress?.report ?? (() => {}),
    };
    if (scope) Object.assign(context, { instance: scope.instance, state: scope.state });
    if (body.session !== undefined) context.scope = consoleScopeOf(body.session);
    const outcome = await Promise.race([callScript(body, runId, context, log), stopper.stopped]).catch(
      (error: unknown) => {
        if (error instanceof RunStopped) return undefined;
        throw error;
      },
    );
    // Stopped from outside: that is the answer, whatever the script did with its grace period.
    if (stopper.reason === "timeout") {
      return failure("timeout", {
        name: "TimeoutError",
        message: `The script did not finish within ${body.timeoutMs} ms; its signal was aborted.`,
      });
    }
    if (stopper.reason === "interrupted") {
      return failure("interrupted", { name: "AbortError", message: "The run was cancelled; its signal was aborted." });
    }
    return outcome!;
  } finally {
    progress?.end(); // The last state goes out before the end, nothing after it.
    stopper.dispose();
    runConsole?.close();
    runsInProgress.delete(runId);
  }
}

interface ScriptContextValue {
  env: unknown;
  args: string[];
  ctx: ExecutionContext;
  signal: AbortSignal;
  input: ScriptInput | null;
  progress: (done: number, total?: number, label?: string) => void;
  /** A declared script's parsed command line. */
  options?: unknown;
  positionals?: unknown;
  /** Under `--do`: the live object and its state. */
  instance?: object;
  state?: DurableObjectState;
  /** A console entry's session scope. */
  scope?: Record<string, unknown>;
}

function consoleScopeOf(session: string): Record<string, unknown> {
  let scope = consoleScopes.get(session);
  if (!scope) {
    scope = {};
    consoleScopes.set(session, scope);
  }
  return scope;
}

async function callScript(
  body: RunRequest,
  runId: string,
  context: ScriptContextValue,
  log: RunLog | undefined,
): Promise<RunResponse> {
  const loaded = await importScript(body, runId);
  log?.imported();
  if (!loaded.ok) return loaded;
  const { module } = loaded;
  if (!("default" in module) || module.default === undefined) {
    // A module without a default export is a script made of its top-level code.
    return { ok: true, result: undefined };
  }
  const main = module.default;
  if (typeof main !== "function") {
    return failure("usage", {
      name: "TypeError",
      message: `The default export of ${body.script === undefined ? "the snippet" : `"${body.script}"`} is ${describeType(main)}, not a function. Export a function: export default defineScript(async ({ env, args }) => { … }).`,
    });
  }
  // A declared script answers --help, or a bad command line, wherever it runs.
  const declared = prepareDeclaredScript(main, body, context);
  if (declared) return declared;
  if ((main as { [OBJECT_SCRIPT_MARK]?: unknown })[OBJECT_SCRIPT_MARK] === true && context.instance === undefined) {
    return failure("usage", {
      name: "UsageError",
      message: `${body.script === undefined ? "The snippet" : `"${body.script}"`} runs inside a Durable Object (defineObjectScript): name the instance with --do <binding>:<name>, e.g. --do COUNTER:user-1.`,
    });
  }
  let result: unknown;
  try {
    result = await main(context);
  } catch (error) {
    if (context.scope) context.scope._error = error;
    return failure("run", serializeError(error));
  }
  if (context.scope) {
    // A console shows any value, as Node's REPL does; `_` keeps it for the next entry.
    context.scope._ = result;
    const answer: ConsoleResult = {
      value: describeValue(result),
      names: Object.keys(context.scope),
      bindings: typeof context.env === "object" && context.env !== null ? Object.keys(context.env) : [],
    };
    return { ok: true, result: answer };
  }
  const problem = findUnserializable(result);
  if (problem) {
    return failure("result", {
      name: "TypeError",
      message: `The script finished, but its result cannot be sent as JSON: ${problem}.`,
    });
  }
  return { ok: true, result };
}

type Loaded = { ok: true; module: Record<string, unknown> } | RunFailure;

async function importScript(body: RunRequest, runId: string): Promise<Loaded> {
  try {
    // Goes through Vite's module runner: the plugin canonicalises and checks the path (or
    // stands the snippet in the scripts folder), then the user's own pipeline compiles it.
    const id =
      body.migrate !== undefined
        ? `/@id/${MIGRATE_MODULE_PREFIX}${runId}/${encodeURIComponent(body.migrate.binding ?? "")}`
        : body.script !== undefined
          ? `/@id/${SCRIPT_MODULE_PREFIX}${runId}/${encodeURIComponent(body.script)}`
          : body.session !== undefined
            ? `/@id/${CONSOLE_MODULE_PREFIX}${runId}/${body.session}/${encodeURIComponent(body.eval)}`
            : `/@id/${EVAL_MODULE_PREFIX}${runId}/${encodeURIComponent(body.eval)}`;
    const module = (await import(/* @vite-ignore */ id)) as Record<
      string,
      unknown
    >;
    return { ok: true, module };
  } catch (error) {
    const { name, message } = serializeError(error);
    const refused = message.indexOf(SCRIPT_REFUSED_MARKER);
    if (refused !== -1) {
      return failure("usage", { name: "ScriptRefused", message: message.slice(refused + SCRIPT_REFUSED_MARKER.length) });
    }
    // The Cloudflare runner imports in its Durable Object and hands the error back over RPC,
    // which keeps only the message: the stack is the runner's, so it is left out. Vite's
    // messages name the file and line themselves.
    return failure("load", { name, message });
  }
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}
