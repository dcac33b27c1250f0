import { readFileSync } from "node:fs";
import path from "node:path";
import type { SerializedError } from "../shared/protocol.js";
import { isRuntimeFrame } from "../plugin/runtime-files.js";

/** A place in the user's code. */
export interface ErrorLocation {
  /** Absolute path. */
  file: string;
  line: number;
  column: number;
}

const SCRIPT_FILE = String.raw`[^\s:()'"\[\]]+\.(?:[cm]?[jt]sx?)`;
// `    at fn (/abs/file.ts:7:9)` and `    at /abs/file.ts:7:9`.
const FRAME_RE = new RegExp(String.raw`^\s+at (?:.*\()?(${SCRIPT_FILE}):(\d+):(\d+)\)?$`);
// Vite 8 (oxc, rolldown): `╭─[ src/scripts/a.ts:4:49 ]`; Vite 6 and 7 (esbuild): `/abs/a.ts:4:49: ERROR: …`.
const CODE_FRAME_RE = new RegExp(String.raw`(?:╭─\[ ?|^)(${SCRIPT_FILE}):(\d+):(\d+)(?: ?\]|: ERROR)`, "m");
// Vite 8: `Cannot find module 'x' imported from '/abs/a.ts'`; Vite 6 and 7: `Failed to resolve import "x" from "src/a.ts"`.
const UNRESOLVED_RE = new RegExp(
  String.raw`(?:Cannot find module '([^']+)' imported from '(${SCRIPT_FILE})'|Failed to resolve import "([^"]+)" from "(${SCRIPT_FILE})")`,
);
// Files a location never points at: generated snippets and what is not the user's.
const NOT_USER_CODE_RE = /\/node_modules\/|\/src\/scripts\/worker-run-(?:eval|console)\.ts$|^(?:node|cloudflare-internal):/;

/**
 * Where an error happened in the user's code: the first frame of its stack that lies in the
 * project (not worker-run's runtime, not a dependency); for a load error, the file and line
 * Vite's message names (a syntax error), or the line of the import it could not resolve.
 */
export function locateError(error: SerializedError, root: string): ErrorLocation | undefined {
  for (const line of error.stack?.split("\n") ?? []) {
    const frame = FRAME_RE.exec(line);
    if (!frame) continue;
    const location = userLocation(frame[1]!, Number(frame[2]), Number(frame[3]), root);
    if (location) return location;
  }
  const codeFrame = CODE_FRAME_RE.exec(error.message);
  if (codeFrame) return userLocation(codeFrame[1]!, Number(codeFrame[2]), Number(codeFrame[3]), root);
  const unresolved = UNRESOLVED_RE.exec(error.message);
  if (unresolved) {
    const specifier = unresolved[1] ?? unresolved[3]!;
    const file = path.resolve(root, unresolved[2] ?? unresolved[4]!);
    return findSpecifier(file, specifier, root);
  }
  return undefined;
}

/** `file:LINE:COL: Name: message`, the line editors' problem matchers read; file relative to `cwd`. */
export function formatLocationLine(error: SerializedError): string | undefined {
  if (error.file === undefined || error.line === undefined || error.column === undefined) return undefined;
  // The message's first telling line: not Vite's "Transform failed with 1 error:" heading, and
  // of esbuild's `file:L:C: ERROR: text` only the text.
  const lines = error.message.split("\n").map((line) => line.trim());
  const telling = lines.find((line) => line !== "" && !/^Transform failed with \d+ errors?:$/.test(line)) ?? "";
  const message = /: ERROR: (.*)$/.exec(telling)?.[1] ?? telling;
  return `${error.file}:${error.line}:${error.column}: ${error.name}: ${message}`;
}

/** The error with its location fields, the file relative to `cwd`; unchanged when it has none. */
export function withLocation(error: SerializedError, root: string, cwd: string): SerializedError {
  const location = locateError(error, root);
  if (!location) return error;
  const file = path.relative(cwd, location.file) || location.file;
  return { ...error, file: file.split(path.sep).join("/"), line: location.line, column: location.column };
}

function userLocation(file: string, line: number, column: number, root: string): ErrorLocation | undefined {
  const absolute = path.resolve(root, file);
  if (isRuntimeFrame(absolute) || absolute.includes("/workers/runner-worker/") || NOT_USER_CODE_RE.test(absolute)) {
    return undefined;
  }
  if (!absolute.startsWith(root + path.sep)) return undefined;
  return { file: absolute, line, column };
}

/** The line and column of `specifier` in an import of `file`; line 1 when it cannot be found. */
function findSpecifier(file: string, specifier: string, root: string): ErrorLocation | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    for (const quote of ["'", '"', "`"]) {
      const column = line.indexOf(`${quote}${specifier}${quote}`);
      if (column !== -1) return userLocation(file, index + 1, column + 1, root);
    }
  }
  return userLocation(file, 1, 1, root);
}
