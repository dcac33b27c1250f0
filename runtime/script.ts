/**
 * `vite-plugin-worker-run/script`: what a script imports. Runs inside workerd, so it
 * imports nothing from Node or Vite.
 */

/** What a script's default export receives. */
export interface ScriptContext<Env = Record<string, unknown>> {
  /** The worker's bindings: the same object the app's `fetch()` receives. */
  env: Env;
  /** The command-line words after the script path, untouched. */
  args: string[];
  /** The `ExecutionContext` of the request that runs the script. */
  ctx: ExecutionContext;
  /** Aborted when the run is cancelled (Ctrl-C, `--timeout`). */
  signal: AbortSignal;
  /**
   * What was piped into the launcher (`cat users.csv | worker-run import-users`), the file of
   * `--input FILE`, or `runScript({ input })`, streamed as the script reads it; `null` when
   * there is none (a terminal on stdin is none).
   */
  input: ScriptInput | null;
}

/**
 * A run's input: a `ReadableStream<Uint8Array>` (read it, pipe it, `for await` it) with
 * helpers for the usual cases. Read it once, one way.
 */
export interface ScriptInput extends ReadableStream<Uint8Array> {
  /** Its lines, decoded as UTF-8, without `\n` or `\r\n`, one chunk in memory at a time. */
  lines(): AsyncGenerator<string, void, undefined>;
  /** All of it, decoded as UTF-8. */
  text(): Promise<string>;
  /** All of it, parsed as JSON. */
  json<T = unknown>(): Promise<T>;
  /** All of it, as bytes. */
  bytes(): Promise<Uint8Array>;
}

/** A script: a function of its context, returning any JSON-serialisable value. */
export type Script<Env = Record<string, unknown>, Result = unknown> = (
  context: ScriptContext<Env>,
) => Result | Promise<Result>;

/**
 * Declares a script. An identity function: it exists for the types, so that
 * `defineScript<Env>(async ({ env }) => …)` knows your bindings.
 */
export function defineScript<Env = Record<string, unknown>, Result = unknown>(
  script: Script<Env, Result>,
): Script<Env, Result> {
  return script;
}

/** What a script run inside a Durable Object instance (`--do`) receives. */
export interface ObjectScriptContext<Env = Record<string, unknown>, Instance = unknown> extends ScriptContext<Env> {
  /** The live object: `this` of its methods, with its in-memory fields as they are now. */
  instance: Instance;
  /** Its `DurableObjectState`: `state.storage` (`.sql`, `.get`, `.put`), `state.blockConcurrencyWhile`. */
  state: DurableObjectState;
}

/** A script for `--do`: a function of its context, returning any JSON-serialisable value. */
export type ObjectScript<Env = Record<string, unknown>, Instance = unknown, Result = unknown> = (
  context: ObjectScriptContext<Env, Instance>,
) => Result | Promise<Result>;

/**
 * Declares a script that runs inside one Durable Object instance
 * (`worker-run --do COUNTER:user-1 fix-counter`). An identity function, for the types:
 * `defineObjectScript<Env, Counter>(async ({ instance, state }) => …)`.
 */
export function defineObjectScript<Env = Record<string, unknown>, Instance = unknown, Result = unknown>(
  script: ObjectScript<Env, Instance, Result>,
): ObjectScript<Env, Instance, Result> {
  // Marked, so that a run without --do says what is missing rather than failing on `state`.
  return Object.defineProperty(script, OBJECT_SCRIPT_MARK, { value: true });
}

/** `Symbol.for` key of the mark {@link defineObjectScript} leaves on a script. */
export const OBJECT_SCRIPT_MARK = Symbol.for("vite-plugin-worker-run.object-script");
