import { parseArgs } from "node:util";
import { CLI_OPTIONS } from "./cli-options.js";
import { isMigrateWord, parseMigrateArgs, type MigrateCommand } from "./migrate-args.js";
import { UsageError } from "./usage-error.js";

/** What the command line asks for. */
export type CliCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "list"; root: string | undefined; config: string | undefined; mode: string | undefined; json: boolean }
  | { kind: "init"; root: string | undefined; config: string | undefined }
  | MigrateCommand
  | {
      kind: "console";
      root: string | undefined;
      config: string | undefined;
      mode: string | undefined;
      attach: boolean;
      verbose: boolean;
      worker: string | undefined;
      durableObject: string | undefined;
    }
  | {
      kind: "run";
      /** The script path or bare name; with `--eval`, "--eval". */
      script: string;
      /** The snippet of `-e, --eval`. */
      code?: string;
      args: string[];
      config: string | undefined;
      mode: string | undefined;
      root: string | undefined;
      json: boolean;
      timeout: number | undefined;
      attach: boolean;
      verbose: boolean;
      /** `--worker`: the worker that runs the script (its Wrangler name). */
      worker: string | undefined;
      /** `--do`: the Durable Object instance, as written. */
      durableObject: string | undefined;
      /** `--input`: the file streamed to the script as its input, as written (`-`: stdin). */
      input: string | undefined;
    };

/**
 * Parses `worker-run [options] <script> [script args…]`. Options come before the script;
 * everything after it (and after `--`) belongs to the script, untouched.
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  if (optionWords(argv).some(isMigrateWord)) return parseMigrateArgs(argv, parseTimeout);
  const scriptIndex = findScriptIndex(argv);
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(optionWords(argv));
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split(". ", 1)[0]!.replace(/\.$/, "");
    throw new UsageError(`${reason}. Options go before the script; run worker-run --help to see them.`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (values.input !== undefined && (values.list || values.init || values.console)) {
    const command = values.list ? "--list" : values.init ? "--init" : "--console";
    throw new UsageError(`--input streams data into one script run; ${command} runs no script, so it does not take --input.`);
  }
  if (values.list) return { kind: "list", root: values.root, config: values.config, mode: values.mode, json: values.json ?? false };
  if (values.init) {
    if (scriptIndex !== -1) throw new UsageError("--init takes no script: it sets the project up (run it in the project's folder).");
    return { kind: "init", root: values.root, config: values.config };
  }
  if (values.console) {
    if (scriptIndex !== -1 || values.eval !== undefined) {
      throw new UsageError("--console takes no script and no -e: its entries are what you type (or pipe in).");
    }
    if (values.json || values.timeout !== undefined) {
      throw new UsageError(`--console does not take ${values.json ? "--json" : "--timeout"}: each entry prints its result as it comes, and Ctrl-C stops an entry.`);
    }
    return {
      kind: "console",
      root: values.root,
      config: values.config,
      mode: values.mode,
      attach: !values["no-attach"],
      verbose: values.verbose ?? false,
      worker: nonEmpty("--worker", values.worker),
      durableObject: values.do,
    };
  }
  const script = values.eval !== undefined ? "--eval" : scriptIndex === -1 ? undefined : argv[scriptIndex];
  if (script === undefined) {
    throw new UsageError("No script given. Usage: worker-run [options] <script> [args…], e.g. worker-run src/scripts/seed.ts");
  }
  const firstArg = values.eval !== undefined ? scriptIndex : scriptIndex + 1; // A snippet has no path word.
  return {
    kind: "run",
    script,
    ...(values.eval === undefined ? {} : { code: values.eval }),
    args: scriptIndex === -1 ? [] : argv.slice(firstArg),
    config: values.config,
    mode: values.mode,
    root: values.root,
    json: values.json ?? false,
    timeout: values.timeout === undefined ? undefined : parseTimeout(values.timeout),
    attach: !values["no-attach"],
    verbose: values.verbose ?? false,
    worker: nonEmpty("--worker", values.worker),
    durableObject: values.do,
    input: nonEmpty("--input", values.input),
  };
}

/**
 * Whether the command line asks for `--json` (so that a usage error is one JSON document too):
 * among the launcher's own words; with `--migrate`, which runs no script, every word is one.
 */
export function asksForJson(argv: readonly string[]): boolean {
  const words = optionWords(argv);
  return words.includes("--json") || (words.some(isMigrateWord) && argv.includes("--json"));
}

/** The words before the script path: the launcher's own options. */
export function optionWords(argv: readonly string[]): string[] {
  const scriptIndex = findScriptIndex(argv);
  return argv.slice(0, scriptIndex === -1 ? argv.length : scriptIndex).filter((word) => word !== "--");
}

function parseOptions(words: string[]) {
  return parseArgs({ args: words, options: CLI_OPTIONS, strict: true, allowPositionals: false }).values;
}

/** The index of the script path: the first word that is not an option or an option's value. */
function findScriptIndex(argv: readonly string[]): number {
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === "--") return index + 1 < argv.length ? index + 1 : -1;
    if (!word.startsWith("-") || word === "-") return index;
    const name = word.startsWith("--") ? word.slice(2) : word.slice(1);
    const option = Object.entries(CLI_OPTIONS).find(
      ([long, spec]) => long === name || ("short" in spec && spec.short === name),
    );
    if (option && option[1].type === "string" && !word.includes("=")) index++; // skip its value
  }
  return -1;
}

function nonEmpty(option: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") throw new UsageError(`${option} takes a name, not an empty string.`);
  return value;
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout takes a positive number of seconds, not ${JSON.stringify(text)}.`);
  }
  return seconds;
}
