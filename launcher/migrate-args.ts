import { parseArgs } from "node:util";
import { CLI_OPTIONS } from "./cli-options.js";
import { UsageError } from "./usage-error.js";

/** `worker-run --migrate [binding]`, as the command line asks for it. */
export interface MigrateCommand {
  kind: "migrate";
  /** The binding (or `database_name`) to migrate; undefined: every D1 binding of the worker. */
  binding: string | undefined;
  config: string | undefined;
  mode: string | undefined;
  root: string | undefined;
  worker: string | undefined;
  json: boolean;
  attach: boolean;
  verbose: boolean;
  timeout: number | undefined;
}

const { config, mode, root, worker, json, verbose, "no-attach": noAttach, timeout } = CLI_OPTIONS;
/** The options `--migrate` goes with; the others (`--do`, `-e`, `--console`…) are a usage error. */
const MIGRATE_OPTIONS = { migrate: { type: "boolean" }, config, mode, root, worker, json, verbose, "no-attach": noAttach, timeout } as const;

/** Whether a word of the launcher's options asks for `--migrate`. */
export function isMigrateWord(word: string): boolean {
  return word === "--migrate" || word.startsWith("--migrate=");
}

/**
 * Parses a `--migrate` command line. `--migrate` runs no script, so the one word that is not an
 * option (or an option's value) is the binding, wherever it stands: `--migrate DB`,
 * `--migrate=DB`, `--json --migrate DB`, `--migrate DB --json` are the same. No word: every D1
 * binding. `timeout` turns the seconds into a number, as for a script.
 */
export function parseMigrateArgs(argv: readonly string[], timeout: (text: string) => number): MigrateCommand {
  // `--migrate=DB` is the binding as a word of its own; `--` ends nothing here (there is no script).
  const words = argv.flatMap((word) => (word.startsWith("--migrate=") ? ["--migrate", word.slice("--migrate=".length)] : [word]));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(words.filter((word) => word !== "--"));
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split(". ", 1)[0]!.replace(/\.$/, "");
    throw new UsageError(
      `${reason}. --migrate takes [binding], --worker, --root, --config, --mode, --no-attach, --json, --verbose and --timeout; it runs no script.`,
    );
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(
      `--migrate takes at most one binding, not ${positionals.map((word) => JSON.stringify(word)).join(" ")}: it runs no script. Run worker-run --migrate to apply every D1 binding's migrations, or worker-run --migrate DB for one.`,
    );
  }
  const binding = positionals[0];
  if (binding !== undefined && binding.trim() === "") throw new UsageError("--migrate takes a binding name, not an empty string.");
  if (values.worker !== undefined && values.worker.trim() === "") throw new UsageError("--worker takes a name, not an empty string.");
  return {
    kind: "migrate",
    binding,
    config: values.config,
    mode: values.mode,
    root: values.root,
    worker: values.worker,
    json: values.json ?? false,
    attach: !values["no-attach"],
    verbose: values.verbose ?? false,
    timeout: values.timeout === undefined ? undefined : timeout(values.timeout),
  };
}

function parse(words: string[]) {
  return parseArgs({ args: words, options: MIGRATE_OPTIONS, strict: true, allowPositionals: true });
}
