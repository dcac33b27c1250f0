import type { RunRequest, RunResponse } from "../shared/protocol.js";
import { failure } from "./outcome.js";
import { asksForHelp, declarationProblem, parseScriptArgs } from "./script-args.js";
import { formatHelp, formatUsage } from "./script-help.js";
import { DECLARATION_MARK, type ScriptDeclaration } from "./script.js";

/**
 * For a script made with `defineScript(declaration, fn)`: answers `--help` (the help text,
 * the function not called), or a usage failure that ends with the script's usage line, or
 * else puts the parsed `options` and `positionals` into the context and returns undefined.
 * A script without a declaration is left alone: its `args` are all it gets, as before.
 */
export function prepareDeclaredScript(
  main: unknown,
  body: RunRequest,
  context: { args: string[]; options?: unknown; positionals?: unknown },
): RunResponse | undefined {
  const declaration = (main as { [DECLARATION_MARK]?: ScriptDeclaration })[DECLARATION_MARK];
  if (declaration === undefined || body.script === undefined) return undefined;
  const name = scriptName(body.name, body.script);
  const problem = declarationProblem(declaration);
  if (problem) {
    return failure("usage", {
      name: "TypeError",
      message: `The declaration of "${body.script}" is not valid: ${problem} Fix the defineScript({ … }) call.`,
    });
  }
  if (asksForHelp(context.args)) return { ok: true, result: undefined, help: formatHelp(name, declaration) };
  const parsed = parseScriptArgs(declaration, context.args);
  if (!parsed.ok) {
    return failure("usage", {
      name: "UsageError",
      message: `${parsed.problem}\nUsage: ${formatUsage(name, declaration)}\nRun worker-run ${name} --help to see its options.`,
    });
  }
  context.options = parsed.options;
  context.positionals = parsed.positionals;
  return undefined;
}

/** How the usage line names the script: as the user typed it, or else its file's name. */
function scriptName(typed: string | undefined, script: string): string {
  if (typed !== undefined && typed !== "") return /\s/.test(typed) ? JSON.stringify(typed) : typed;
  return script.replace(/^.*[\\/]/, "").replace(/\.[^.]+$/, "");
}
