import { expect } from "vitest";
import { describeRun, type CliResult } from "./run-cli.js";

/**
 * Asserts that a run exited with `code` and no signal, showing the whole run on failure.
 * `soft`: with `expect.soft`, so the test goes on and reports every failed check.
 */
export function expectExit(result: CliResult, code: number, options: { soft?: boolean } = {}): void {
  const check = options.soft ? expect.soft : expect;
  check(result.code, describeRun(result)).toBe(code);
  check(result.signal, describeRun(result)).toBeNull();
}

/** The one JSON document a `--json` run printed: the whole of stdout must parse. */
export function parseJsonStdout(result: CliResult): unknown {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`Expected stdout to be exactly one JSON document.\n${describeRun(result)}`);
  }
}
