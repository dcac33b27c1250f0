/**
 * Parses a declared script's command line (its `args`) against its declaration, with the
 * semantics of `node:util` `parseArgs` in strict mode, which the runtime cannot import:
 * `--name value`, `--name=value`, `-n value`, `-n5`, grouped short flags (`-vq`), `--no-flag`
 * for booleans, `--` ends the options, an unknown option is an error. Pure: runs in Node too.
 */
import type { OptionSpec, PositionalSpec, ScriptDeclaration } from "./script.js";

/** The parsed command line, or the sentence that says what is wrong with it. */
export type ParsedArgs =
  | { ok: true; options: Record<string, unknown>; positionals: Record<string, string | string[] | undefined> }
  | { ok: false; problem: string };

/** An option as the command line names it. */
interface NamedOption {
  key: string;
  flag: string;
  spec: OptionSpec;
}

/** `dryRun` is `--dry-run` on the command line. */
export function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

class ArgsProblem extends Error {}

/** Parses `args` against `declaration`; never throws for bad input. */
export function parseScriptArgs(declaration: ScriptDeclaration, args: readonly string[]): ParsedArgs {
  try {
    return parse(declaration, args);
  } catch (error) {
    if (error instanceof ArgsProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

function parse(declaration: ScriptDeclaration, args: readonly string[]): ParsedArgs {
  const declared = Object.entries(declaration.options ?? {}).map(([key, spec]) => ({ key, flag: flagOf(key), spec }));
  const byLong = new Map<string, NamedOption>();
  const byShort = new Map<string, NamedOption>();
  for (const option of declared) {
    byLong.set(option.flag, option);
    byLong.set(option.key, option); // `--dryRun` too, as parseArgs would name it.
    if (option.spec.short !== undefined) byShort.set(option.spec.short, option);
  }
  const values = new Map<string, unknown[]>();
  const set = (option: NamedOption, value: unknown): void => {
    const list = values.get(option.key) ?? [];
    list.push(value);
    values.set(option.key, list);
  };
  const words: string[] = [];

  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word === "--") {
      words.push(...args.slice(index + 1));
      break;
    }
    if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const name = equals === -1 ? word.slice(2) : word.slice(2, equals);
      const inline = equals === -1 ? undefined : word.slice(equals + 1);
      const option = byLong.get(name);
      if (!option && name.startsWith("no-") && inline === undefined) {
        const negated = byLong.get(name.slice(3));
        if (negated?.spec.type === "boolean") {
          set(negated, false);
          continue;
        }
      }
      if (!option) throw new ArgsProblem(`Unknown option --${name}.`);
      if (option.spec.type === "boolean") {
        if (inline !== undefined) throw new ArgsProblem(`Option --${option.flag} takes no value (use --${option.flag} or --no-${option.flag}).`);
        set(option, true);
        continue;
      }
      const value = inline ?? takeValue(args, index, `--${option.flag}`);
      if (inline === undefined) index++;
      set(option, convert(option, value));
      continue;
    }
    if (word.startsWith("-") && word !== "-") {
      // A group of short options: flags, then perhaps one that takes the rest (or the next word).
      for (let at = 1; at < word.length; at++) {
        const letter = word[at]!;
        const option = byShort.get(letter);
        if (!option) throw new ArgsProblem(`Unknown option -${letter}.`);
        if (option.spec.type === "boolean") {
          set(option, true);
          continue;
        }
        const rest = word.slice(at + 1);
        const value = rest !== "" ? rest : takeValue(args, index, `-${letter}`);
        if (rest === "") index++;
        set(option, convert(option, value));
        break;
      }
      continue;
    }
    words.push(word);
  }
  return { ok: true, options: optionValues(declared, values), positionals: positionalValues(declaration.positionals ?? [], words) };
}

/** The word after an option that takes a value; like parseArgs, a word that looks like an option is refused. */
function takeValue(args: readonly string[], index: number, option: string): string {
  const next = args[index + 1];
  if (next === undefined) throw new ArgsProblem(`Option ${option} needs a value.`);
  if (next.startsWith("-") && next !== "-") {
    throw new ArgsProblem(`Option ${option} needs a value, not the option-like "${next}" (to give it that value, write ${option.startsWith("--") ? `${option}=${next}` : `${option}${next}`}).`);
  }
  return next;
}

function convert({ flag, spec }: NamedOption, text: string): string | number {
  let value: string | number = text;
  if (spec.type === "number") {
    value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) throw new ArgsProblem(`Option --${flag} takes a number, not "${text}".`);
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new ArgsProblem(`Option --${flag} must be one of ${spec.choices.join(", ")}, not "${text}".`);
  }
  return value;
}

function optionValues(declared: readonly NamedOption[], values: Map<string, unknown[]>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const { key, flag, spec } of declared) {
    const given = values.get(key);
    if (given === undefined && spec.required) throw new ArgsProblem(`Option --${flag} is required.`);
    if (spec.multiple) options[key] = given ?? (spec.default === undefined ? [] : [spec.default].flat());
    // The last one wins, as in parseArgs.
    else options[key] = given !== undefined ? given.at(-1) : (spec.default ?? (spec.type === "boolean" ? false : undefined));
  }
  return options;
}

function positionalValues(specs: readonly PositionalSpec[], words: string[]): Record<string, string | string[] | undefined> {
  const positionals: Record<string, string | string[] | undefined> = {};
  let next = 0;
  for (const spec of specs) {
    if (spec.multiple) {
      positionals[spec.name] = words.slice(next);
      if (spec.required !== false && next >= words.length) throw new ArgsProblem(`Missing <${spec.name}>.`);
      next = words.length;
      continue;
    }
    const word = words[next];
    if (word === undefined && spec.required !== false) throw new ArgsProblem(`Missing <${spec.name}>.`);
    positionals[spec.name] = word;
    next++;
  }
  if (next < words.length) {
    const extra = words[next]!;
    throw new ArgsProblem(
      specs.length === 0 ? `Unexpected argument "${extra}": this script takes no positional arguments.` : `Unexpected argument "${extra}".`,
    );
  }
  return positionals;
}

/** Whether the words before `--` ask for help: `--help` or `-h`. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const word of args) {
    if (word === "--") return false;
    if (word === "--help" || word === "-h") return true;
  }
  return false;
}

/**
 * What is wrong with a declaration itself (a mistake in the script, not in the command line),
 * or undefined. Checked before each run, so the script's author hears about it at once.
 */
export function declarationProblem(declaration: ScriptDeclaration): string | undefined {
  const shorts = new Set<string>();
  for (const [key, spec] of Object.entries(declaration.options ?? {})) {
    const name = `option "${key}"`;
    if (!["string", "number", "boolean"].includes(spec?.type)) return `${name} has type ${JSON.stringify(spec?.type)}; use "string", "number" or "boolean".`;
    if (key === "help" || spec.short === "h") return `${name} takes --help or -h, which show the script's help.`;
    if (spec.short !== undefined && !/^[A-Za-z0-9]$/.test(spec.short)) return `${name} has short ${JSON.stringify(spec.short)}; a short is one letter or digit.`;
    if (spec.short !== undefined && shorts.has(spec.short)) return `${name} has short "${spec.short}", which another option has.`;
    if (spec.short !== undefined) shorts.add(spec.short);
    if (spec.choices && spec.type === "boolean") return `${name} is a boolean with choices; choices are for string and number options.`;
  }
  const positionals = declaration.positionals ?? [];
  for (const [index, spec] of positionals.entries()) {
    if (typeof spec?.name !== "string" || spec.name === "") return `positional ${index + 1} has no name.`;
    if (spec.multiple && index !== positionals.length - 1) return `positional "${spec.name}" is multiple but not the last.`;
    if (spec.required !== false && positionals.slice(0, index).some((before) => before.required === false)) {
      return `positional "${spec.name}" is required but follows an optional one.`;
    }
  }
  return undefined;
}
