/**
 * The wire protocol between the launcher (Node) and the dispatcher (workerd).
 * Both TypeScript projects include this file; it depends on nothing.
 */

/** The dev-only route the dispatcher answers on. */
export const ROUTE_PATH = "/__worker-run";

/** Request header that carries the per-server secret token (never a URL or a body). */
export const TOKEN_HEADER = "x-worker-run-token";

/** Set on every answer of the route, so the launcher knows the dispatcher (not the app) answered. */
export const RESPONSE_MARKER_HEADER = "x-worker-run";

/** The query that tells one run's instance of a script module from another's. */
export const RUN_QUERY = "worker-run";

/**
 * `Symbol.for` key of the global through which a script module finds its run's console.
 * The plugin prepends `const console = globalThis[Symbol.for(KEY)]?.(nonce) ?? globalThis.console;`
 * to each run's instance of the script module, so a script's own console calls reach its own
 * run even when runs overlap; the app's modules keep the real console.
 */
export const CONSOLE_REGISTRY_KEY = "vite-plugin-worker-run.run-console";

/**
 * Request header of a run: the id the launcher gives it. It names the run's instance of the
 * script module and its console, it is what a {@link CancelRequest} names, and the plugin's
 * middleware sees it go by on the Node side, so it knows which runs are in progress and drops
 * each run's module when its answer is done. A header, so no one needs to read the body for it.
 */
export const RUN_ID_HEADER = "x-worker-run-id";

/**
 * Request header naming the worker that answers the request, by its Wrangler `name`; without
 * it, the entry worker. The plugin's middleware hands a request for another worker of the dev
 * server to that worker (the dev server itself only sends HTTP to the entry worker).
 */
export const WORKER_HEADER = "x-worker-run-worker";

/**
 * Content type of a run that carries input (piped stdin, `--input FILE`, `runScript({ input })`):
 * the body's first line is the run request as JSON (which never contains a raw newline), and
 * every byte after that newline is the input, streamed to the script as it arrives.
 */
export const INPUT_CONTENT_TYPE = "application/x-worker-run-input";

/** The longest first line of a run with input; a longer one is refused before anything runs. */
export const MAX_RUN_REQUEST_BYTES = 8 * 1024 * 1024;

/** What a run id looks like (a UUID fits). */
export const RUN_ID_RE = /^[\w-]{1,64}$/;

/** Prefix of this package's virtual module ids (resolved ids start with `\0`). */
export const VIRTUAL_PREFIX = "virtual:worker-run/";

/** The virtual module that wraps the user's worker entry. */
export const VIRTUAL_ENTRY_ID = `${VIRTUAL_PREFIX}entry`;

/**
 * Dynamic imports of `/@id/${SCRIPT_MODULE_PREFIX}<run nonce>/<encodeURIComponent(path)>` are
 * resolved by the plugin on the Node side, which canonicalises the absolute path and checks
 * it is allowed. The leading `/@id/` makes Vite's module runner hand the id to the plugins
 * instead of resolving it as a bare package name. The nonce gives every run its own instance
 * of the script module (top-level code runs again, a failed load is not cached), while the
 * app's modules it imports stay shared.
 */
export const SCRIPT_MODULE_PREFIX = `${VIRTUAL_PREFIX}script/`;

/**
 * `/@id/${EVAL_MODULE_PREFIX}<run nonce>/<encodeURIComponent(code)>`: a snippet of `--eval`,
 * which the plugin serves as a module that stands in the project's scripts folder, so that
 * its imports resolve exactly as a script's there.
 */
export const EVAL_MODULE_PREFIX = `${VIRTUAL_PREFIX}eval/`;

/**
 * `/@id/${CONSOLE_MODULE_PREFIX}<run nonce>/<session>/<encodeURIComponent(code)>`: an entry of
 * `--console`, which the plugin serves like a snippet, rewritten so that what the session's
 * earlier entries declared is in scope (see plugin/console-module.ts).
 */
export const CONSOLE_MODULE_PREFIX = `${VIRTUAL_PREFIX}console/`;

/** What a console session id looks like. */
export const SESSION_RE = /^[\w-]{1,64}$/;

/**
 * Starts the message of the error the plugin throws when it refuses a script path. A
 * marker in the message, because errors reach the dispatcher over the Cloudflare runner's
 * RPC, which keeps an error's message and nothing else of it.
 */
export const SCRIPT_REFUSED_MARKER = "[worker-run: script refused] ";

/** What the virtual entry tells the dispatcher about this dev server. */
export interface GuardOptions {
  /** Hex SHA-256 of this server's token. The token itself never enters the worker's code. */
  tokenDigest: string;
  /** Host names accepted besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: readonly string[];
}

/** What the virtual entry passes to the wrapper: the guard's data and the entry's path. */
export interface EntryOptions extends GuardOptions {
  /** The user's entry file, as the Cloudflare runner names it in its own messages. */
  entryPath: string;
  /** This worker's Wrangler `name` (empty when the plugin could not learn it). */
  workerName: string;
  /**
   * Durable Object bindings of this worker whose class lives in a worker this dev server does
   * not run (`script_name`): binding name to that worker's name.
   */
  externalObjects: Record<string, string>;
}

/**
 * The Durable Object instance a run runs in (`--do`): the namespace bound as `binding` in the
 * worker's `env`, and the instance's name (`idFromName`) or id (`idFromString`).
 */
export type ObjectTarget = { binding: string; name: string; id?: undefined } | { binding: string; id: string; name?: undefined };

/** The body the launcher posts to the route: a script file, a snippet (`eval`), or `--migrate`. */
export type RunRequest = RunOptions &
  (
    | {
        /** The script file's absolute, canonical path (the plugin checks it again before import). */
        script: string;
        eval?: undefined;
        migrate?: undefined;
      }
    | {
        /** The code of `--eval`: an expression, or statements of a function body. */
        eval: string;
        script?: undefined;
        migrate?: undefined;
      }
    | {
        /** `--migrate [binding]`: apply D1 migrations (see shared/d1-migrations.ts); no binding, every one. */
        migrate: { binding?: string };
        script?: undefined;
        eval?: undefined;
      }
  );

/** What a run request says besides what to run. */
export interface RunOptions {
  /** The command-line words after the script path. */
  args: string[];
  /** How the user named the script (`backfill`, `src/scripts/backfill.ts`): a declared script's usage line says it. */
  name?: string;
  /** Abort the script's `signal` after this many milliseconds (0 or absent: never). */
  timeoutMs?: number;
  /**
   * Answer as a stream of {@link RunEvent} lines (`application/x-ndjson`) that carries the
   * script's console output while it runs. Without it: one {@link RunResponse} JSON document,
   * and the script's console goes to the dev server's terminal.
   */
  stream?: boolean;
  /** Run inside this Durable Object instance rather than in the worker's top level. */
  durableObject?: ObjectTarget;
  /**
   * An entry of the console session of this id (with `eval`): its declarations persist in the
   * session's scope, and its result is any value, described as a `ConsoleResult`.
   */
  session?: string;
}

/** One line of a streamed answer: a console call of the script, its progress, or the run's end. */
export type RunEvent =
  | { type: "log"; stream: "stdout" | "stderr"; text: string }
  | ({ type: "progress" } & ProgressReport)
  | { type: "done"; response: RunResponse };

/** What a script's `progress(done, total?, label?)` last said. */
export interface ProgressReport {
  done: number;
  total?: number;
  label?: string;
}

/** Content type of a streamed answer. */
export const STREAM_CONTENT_TYPE = "application/x-ndjson";

/** The body that cancels a run in progress: its `signal` is aborted (Ctrl-C in the launcher). */
export interface CancelRequest {
  /** The run's id, as its {@link RUN_ID_HEADER} said. */
  cancel: string;
  /** The Durable Object instance the run runs in, if it runs in one (its isolate may be another worker's). */
  durableObject?: ObjectTarget;
}

/**
 * The body that asks the dispatcher to answer and do nothing else: a launcher confirms a
 * discovery record with it before it trusts the server with a run.
 */
export interface PingRequest {
  ping: true;
}

/** Every body the route takes. */
export type RouteRequest = RunRequest | CancelRequest | PingRequest;

/** How long a script may keep running after its signal fired, to clean up. */
export const ABORT_GRACE_MS = 2_000;

/** An error as it crosses the wire. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /**
   * Where in the user's code it happened (the launcher adds these): the file relative to the
   * current directory, and the 1-based line and column. Editors' problem matchers read them.
   */
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Why a run did not succeed:
 * - `usage`: the request or the script's shape is wrong (launcher exit 2);
 * - `load`: importing the script failed (exit 1);
 * - `run`: the script threw or rejected (exit 1);
 * - `result`: the script's result cannot be represented as JSON (exit 1);
 * - `timeout`: the run's timeout fired (exit 124);
 * - `interrupted`: the run was cancelled (exit 130, or 143 for SIGTERM);
 * - `forbidden`: the request was not authenticated or not allowed.
 */
export type FailureKind = "usage" | "load" | "run" | "result" | "timeout" | "interrupted" | "forbidden";

/** A run that finished: what the script returned. */
export interface RunSuccess {
  ok: true;
  result: unknown;
  /** How long the script took, once the run is timed. */
  durationMs?: number;
  /** A declared script asked for `--help`: its help text. The script was not called. */
  help?: string;
}

/** A run that did not finish, or a request that was refused. */
export interface RunFailure {
  ok: false;
  kind: FailureKind;
  error: SerializedError;
  durationMs?: number;
}

/**
 * What the route answers: exactly one of these, as JSON. The runtime builds them, the launcher
 * adds an exit code (its `RunOutcome`): one family from the worker to the terminal.
 */
export type RunResponse = RunSuccess | RunFailure;

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
