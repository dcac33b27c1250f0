import { styleText } from "node:util";
import { isRuntimeFrame } from "../plugin/runtime-files.js";
import { SCRIPT_FOLDERS, type ListedScript } from "../common/script-folders.js";
import type { SerializedError } from "../shared/protocol.js";
import type { RunOutcome } from "./run-script.js";
import { formatLocationLine } from "./error-location.js";
import { stripControlCharacters } from "./script-output.js";

// The launcher's status lines go to stderr, so its colour support decides.
const enabled =
  process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0"
    ? true
    : !process.env.NO_COLOR && process.stderr.isTTY === true && process.stderr.hasColors();

type Style = Parameters<typeof styleText>[0];
const paint =
  (style: Style) =>
  (text: string): string =>
    enabled ? styleText(style, text) : text;

/** Terminal colours from `node:util`, on only when stderr supports them (NO_COLOR / FORCE_COLOR respected). */
export const colors = {
  green: paint("green"),
  red: paint("red"),
  dim: paint("dim"),
};

/** The one JSON document `--json` prints on stdout. */
export function formatJsonOutcome(outcome: RunOutcome): string {
  const document = outcome.ok
    ? { ok: true, result: outcome.result ?? null, ...(outcome.help === undefined ? {} : { help: outcome.help }) }
    : { ok: false, error: outcome.error };
  return escapeC1(JSON.stringify(document));
}

/** The result, readably, for stdout; empty when the script returned nothing. */
export function formatResult(result: unknown): string {
  return result === undefined ? "" : escapeC1(JSON.stringify(result, null, 2));
}

/**
 * JSON escapes C0 controls but not DEL and C1 (U+007F–U+009F), which some terminals act on
 * (U+009B is a one-byte CSI). Escaped, the text is the same JSON and inert on a terminal.
 */
function escapeC1(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The closing status line for stderr: what ran, how it ended, how long it took. */
export function formatSummary(script: string, outcome: RunOutcome): string {
  const took = outcome.durationMs === undefined ? "" : colors.dim(` in ${formatDuration(outcome.durationMs)}`);
  if (outcome.ok) return `${colors.green("✔")} ${script} finished${took}`;
  // "Interrupted by SIGINT." becomes "was interrupted by SIGINT": the one line a cancelled run prints.
  const verb =
    outcome.kind === "interrupted"
      ? `was ${outcome.error.message.replace(/\.$/, "").replace(/^I/, "i")}`
      : FAILURE_VERBS[outcome.kind];
  return `${colors.red("✖")} ${script} ${verb}${took}`;
}

const FAILURE_VERBS: Record<Exclude<RunOutcome, { ok: true }>["kind"], string> = {
  usage: "could not run",
  forbidden: "was refused by the dev server",
  load: "failed to load",
  run: "failed",
  result: "returned a result that is not JSON",
  timeout: "timed out",
  interrupted: "was interrupted",
};

/** What went wrong, for stderr: a usage problem as its sentence, an error with its stack and causes. */
export function formatFailure(outcome: Exclude<RunOutcome, { ok: true }>): string {
  if (outcome.kind === "usage" || outcome.kind === "interrupted") return stripControlCharacters(outcome.error.message);
  // Last, on a line of its own: `file:LINE:COL: Name: message`, for editors' problem matchers.
  const location = formatLocationLine(outcome.error);
  return location ? `${formatError(outcome.error)}\n${stripControlCharacters(location)}` : formatError(outcome.error);
}

/** An error with its stack and causes, control characters removed. */
export function formatError(error: SerializedError): string {
  const lines = [stripControlCharacters(describe(error))];
  for (let cause = error.cause; cause; cause = cause.cause) {
    lines.push(`${colors.dim("Caused by:")} ${stripControlCharacters(describe(cause))}`);
  }
  return lines.join("\n");
}

function describe(error: SerializedError): string {
  const heading = `${error.name}: ${error.message}`;
  // V8 stacks start with the heading; keep only the frames after it, and only the user's:
  // the dispatcher's and the Cloudflare runner's frames are the same for every script.
  const frames = error.stack?.split("\n").filter((line) => /^\s+at /.test(line) && !isInternalFrame(line)) ?? [];
  return frames.length ? `${heading}\n${frames.join("\n")}` : heading;
}

function isInternalFrame(line: string): boolean {
  return isRuntimeFrame(line) || line.includes("workers/runner-worker/");
}

/** "74 ms", "1.20 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * `worker-run --list`: one script a line, its bare name, then its description; then the
 * project's workers, when they are known.
 */
export function formatScriptList(scripts: readonly ListedScript[], workers: readonly string[] | null = null): string {
  const width = Math.max(0, ...scripts.map((script) => script.name.length));
  const listed =
    scripts.length === 0
      ? `No scripts found in ${SCRIPT_FOLDERS.map((folder) => `${folder}/`).join(" or ")}.`
      : scripts
          .map((script) => `${script.name.padEnd(width)}  ${stripControlCharacters(script.description ?? colors.dim(script.path))}`)
          .join("\n");
  if (!workers?.length) return listed;
  const [entry, ...others] = workers;
  return `${listed}\n\nWorkers (--worker <name>): ${entry} (entry)${others.map((name) => `, ${name}`).join("")}`;
}
