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
  /**
   * Reports how far the script is: `done` steps of `total` (if known), with an optional
   * `label`. The launcher draws it as one updating line on a terminal. Cheap enough to call
   * on every step: the worker sends at most one update per 100 ms, and always the last one.
   */
  progress: (done: number, total?: number, label?: string) => void;
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
 *
 * With a declaration first, the script says what it takes:
 * `defineScript({ description, options: { count: { type: "number", default: 10 } } }, async ({ options }) => …)`.
 * worker-run then parses its command line before calling it (a bad value is a usage error,
 * exit 2), answers `--help` without calling it, and `--list` shows its description. `env` is
 * `Cloudflare.Env` (what `wrangler types` generates); `defineScript<typeof declaration, Env>`
 * names another type.
 */
export function defineScript<Env = Record<string, unknown>, Result = unknown>(
  script: Script<Env, Result>,
): Script<Env, Result>;
export function defineScript<const Declaration extends ScriptDeclaration, Env = Cloudflare.Env, Result = unknown>(
  declaration: Declaration,
  script: DeclaredScript<Declaration, Env, Result>,
): DeclaredScript<Declaration, Env, Result>;
export function defineScript(
  first: Script | ScriptDeclaration,
  second?: DeclaredScript<ScriptDeclaration>,
): Script | DeclaredScript<ScriptDeclaration> {
  if (typeof first === "function") return first;
  if (typeof second !== "function") {
    throw new TypeError("defineScript(declaration, script): the second argument must be the script's function.");
  }
  // The worker reads the declaration from the function it is given: parse, --help, usage.
  return Object.defineProperty(second, DECLARATION_MARK, { value: first });
}

/** `Symbol.for` key under which {@link defineScript} keeps a script's declaration. */
export const DECLARATION_MARK = Symbol.for("vite-plugin-worker-run.declaration");

/** One option a script takes: `--count 5`, `--count=5`, `-n 5`; booleans `--dry-run`, `--no-dry-run`. */
export interface OptionSpec {
  /** What its value is: text, a number (parsed, must be finite), or a flag. */
  type: "string" | "number" | "boolean";
  /** A one-letter alias: `-n`. */
  short?: string;
  /** One line for `--help`. */
  description?: string;
  /** The value when the option is not given (an array for `multiple`). */
  default?: string | number | boolean | readonly (string | number)[];
  /** The run is a usage error without it. */
  required?: boolean;
  /** May be given more than once; the value is an array. */
  multiple?: boolean;
  /** The only values allowed (string and number options). */
  choices?: readonly (string | number)[];
}

/** One positional argument, in order: `<table>`, `[table]` when optional, `<files...>` when `multiple` (last only). */
export interface PositionalSpec {
  name: string;
  description?: string;
  /** Default true. */
  required?: boolean;
  /** Takes every remaining word (an array); only the last positional may. */
  multiple?: boolean;
}

/** What a script declares: its description, options (by camelCase name, `--kebab-case` on the command line) and positionals. */
export interface ScriptDeclaration {
  description?: string;
  options?: Readonly<Record<string, OptionSpec>>;
  positionals?: readonly PositionalSpec[];
}

type ValueOf<Spec extends OptionSpec> = Spec extends { choices: readonly (infer Choice)[] }
  ? Choice
  : Spec["type"] extends "number"
    ? number
    : Spec["type"] extends "boolean"
      ? boolean
      : string;

type OptionValue<Spec extends OptionSpec> = Spec extends { multiple: true }
  ? ValueOf<Spec>[]
  : Spec extends { type: "boolean" } | { required: true } | { default: string | number | boolean }
    ? ValueOf<Spec>
    : ValueOf<Spec> | undefined;

/** The parsed `options` of a declaration: absent booleans are false, absent `multiple` options []. */
export type OptionsOf<Declaration extends ScriptDeclaration> = Declaration extends {
  options: infer Options extends Readonly<Record<string, OptionSpec>>;
}
  ? { -readonly [Name in keyof Options]: OptionValue<Options[Name]> }
  : Record<string, never>;

/** The parsed `positionals` of a declaration, by name. */
export type PositionalsOf<Declaration extends ScriptDeclaration> = Declaration extends {
  positionals: infer List extends readonly PositionalSpec[];
}
  ? {
      -readonly [Spec in List[number] as Spec["name"]]: Spec extends { multiple: true }
        ? string[]
        : Spec extends { required: false }
          ? string | undefined
          : string;
    }
  : Record<string, never>;

/** What a declared script receives: the context, plus its parsed `options` and `positionals`. */
export interface DeclaredScriptContext<Declaration extends ScriptDeclaration, Env = Cloudflare.Env>
  extends ScriptContext<Env> {
  options: OptionsOf<Declaration>;
  positionals: PositionalsOf<Declaration>;
}

/** A declared script: a function of its context and parsed command line. */
export type DeclaredScript<Declaration extends ScriptDeclaration, Env = Cloudflare.Env, Result = unknown> = (
  context: DeclaredScriptContext<Declaration, Env>,
) => Result | Promise<Result>;

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

/** What a declared script run inside a Durable Object instance receives. */
export interface DeclaredObjectScriptContext<Declaration extends ScriptDeclaration, Env = Cloudflare.Env, Instance = unknown>
  extends DeclaredScriptContext<Declaration, Env> {
  instance: Instance;
  state: DurableObjectState;
}

/** A declared script for `--do`. */
export type DeclaredObjectScript<Declaration extends ScriptDeclaration, Env = Cloudflare.Env, Instance = unknown, Result = unknown> = (
  context: DeclaredObjectScriptContext<Declaration, Env, Instance>,
) => Result | Promise<Result>;

/**
 * Declares a script that runs inside one Durable Object instance
 * (`worker-run --do COUNTER:user-1 fix-counter`). An identity function, for the types:
 * `defineObjectScript<Env, Counter>(async ({ instance, state }) => …)`. With a declaration
 * first, as for {@link defineScript}: `defineObjectScript<typeof declaration, Env, Counter>(declaration, fn)`.
 */
export function defineObjectScript<Env = Record<string, unknown>, Instance = unknown, Result = unknown>(
  script: ObjectScript<Env, Instance, Result>,
): ObjectScript<Env, Instance, Result>;
export function defineObjectScript<
  const Declaration extends ScriptDeclaration,
  Env = Cloudflare.Env,
  Instance = unknown,
  Result = unknown,
>(
  declaration: Declaration,
  script: DeclaredObjectScript<Declaration, Env, Instance, Result>,
): DeclaredObjectScript<Declaration, Env, Instance, Result>;
export function defineObjectScript(
  first: ObjectScript | ScriptDeclaration,
  second?: DeclaredObjectScript<ScriptDeclaration>,
): ObjectScript | DeclaredObjectScript<ScriptDeclaration> {
  const script: ObjectScript | DeclaredObjectScript<ScriptDeclaration> =
    typeof first === "function" ? first : (defineScript(first, second as DeclaredScript<ScriptDeclaration>) as unknown as DeclaredObjectScript<ScriptDeclaration>);
  // Marked, so that a run without --do says what is missing rather than failing on `state`.
  return Object.defineProperty(script, OBJECT_SCRIPT_MARK, { value: true });
}

/** `Symbol.for` key of the mark {@link defineObjectScript} leaves on a script. */
export const OBJECT_SCRIPT_MARK = Symbol.for("vite-plugin-worker-run.object-script");
