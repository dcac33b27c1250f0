/**
 * The usage line and the `--help` text of a declared script, made from its declaration.
 * Pure: runs in Node too.
 */
import { flagOf } from "./script-args.js";
import type { OptionSpec, PositionalSpec, ScriptDeclaration } from "./script.js";

/** `worker-run backfill [--count <number>] [--dry-run] <table>`: how to call the script. */
export function formatUsage(name: string, declaration: ScriptDeclaration): string {
  const options = Object.entries(declaration.options ?? {}).map(([key, spec]) => {
    const word = `--${flagOf(key)}${valueHint(spec)}`;
    const once = spec.required ? word : `[${word}]`;
    return spec.multiple ? `${once}...` : once;
  });
  const positionals = (declaration.positionals ?? []).map(positionalWord);
  return ["worker-run", name, ...options, ...positionals].join(" ");
}

/** The whole help: description, usage, arguments, options with their defaults. */
export function formatHelp(name: string, declaration: ScriptDeclaration): string {
  const sections: string[] = [];
  if (declaration.description) sections.push(declaration.description.trim());
  sections.push(`Usage: ${formatUsage(name, declaration)}`);
  const positionals = declaration.positionals ?? [];
  if (positionals.length) {
    sections.push(["Arguments:", ...columns(positionals.map((spec) => [positionalWord(spec), spec.description ?? ""]))].join("\n"));
  }
  const rows = Object.entries(declaration.options ?? {}).map(([key, spec]): [string, string] => {
    const flag = spec.type === "boolean" && spec.default === true ? `--[no-]${flagOf(key)}` : `--${flagOf(key)}`;
    const names = `${spec.short !== undefined ? `-${spec.short}, ` : "    "}${flag}${valueHint(spec)}`;
    const notes = [
      spec.required ? "required" : undefined,
      spec.multiple ? "repeatable" : undefined,
      spec.default !== undefined && !(spec.type === "boolean" && spec.default === false) ? `default: ${JSON.stringify(spec.default)}` : undefined,
    ].filter((note) => note !== undefined);
    return [names, [spec.description ?? "", notes.length ? `(${notes.join(", ")})` : ""].filter(Boolean).join(" ")];
  });
  rows.push(["-h, --help", "show this help"]);
  sections.push(["Options:", ...columns(rows)].join("\n"));
  return `${sections.join("\n\n")}\n`;
}

function valueHint(spec: OptionSpec): string {
  if (spec.type === "boolean") return "";
  return spec.choices ? ` <${spec.choices.join("|")}>` : ` <${spec.type}>`;
}

function positionalWord(spec: PositionalSpec): string {
  const inner = `${spec.name}${spec.multiple ? "..." : ""}`;
  return spec.required === false ? `[${inner}]` : `<${inner}>`;
}

/** Two columns, the second aligned, two spaces in front. */
function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${right ? `${left.padEnd(width)}  ${right}` : left}`.trimEnd());
}
