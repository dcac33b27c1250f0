// `worker-run [options] <script> [script args…]`: options before the script, the rest untouched.
import { describe, expect, test } from "vitest";
import { asksForJson, parseCliArgs } from "../../launcher/cli-args.js";
import { UsageError } from "../../launcher/usage-error.js";

/** The UsageError parseCliArgs throws for `argv` (fails the test if it does not throw one). */
function usageError(argv: string[]): UsageError {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`Expected parseCliArgs(${JSON.stringify(argv)}) to throw a UsageError.`);
}

describe("parseCliArgs", () => {
  test("a bare script: defaults for every option", () => {
    expect(parseCliArgs(["src/scripts/seed.ts"])).toEqual({
      kind: "run",
      script: "src/scripts/seed.ts",
      args: [],
      config: undefined,
      mode: undefined,
      root: undefined,
      json: false,
      timeout: undefined,
      attach: true,
      verbose: false,
    });
  });

  test("--verbose", () => {
    expect(parseCliArgs(["--verbose", "seed"])).toMatchObject({ kind: "run", script: "seed", verbose: true });
  });

  test("-e/--eval: the snippet instead of a script; every word after the options is an arg", () => {
    expect(parseCliArgs(["-e", "env.X", "a", "--b"])).toMatchObject({
      kind: "run",
      script: "--eval",
      code: "env.X",
      args: ["a", "--b"],
    });
    expect(parseCliArgs(["--json", "--eval=1 + 1"])).toMatchObject({ code: "1 + 1", args: [], json: true });
    expect(parseCliArgs(["--eval", "x", "--", "--y"])).toMatchObject({ code: "x", args: ["--y"] });
  });

  test("--list, with --root and --json", () => {
    expect(parseCliArgs(["--list"])).toEqual({ kind: "list", root: undefined, config: undefined, mode: undefined, json: false });
    expect(parseCliArgs(["--root", "app", "--list", "--json"])).toEqual({ kind: "list", root: "app", config: undefined, mode: undefined, json: true });
  });

  test("--no-attach asks for a fresh server", () => {
    expect(parseCliArgs(["--no-attach", "src/scripts/seed.ts"])).toMatchObject({ kind: "run", attach: false });
    expect(parseCliArgs(["src/scripts/seed.ts", "--no-attach"])).toMatchObject({ attach: true, args: ["--no-attach"] });
  });

  test("options before the script are read; everything after it goes to the script untouched", () => {
    const argv = [
      "--json",
      "--timeout",
      "2.5",
      "--mode",
      "staging",
      "seed.ts",
      "--json",
      "-x",
      "--timeout",
      "9",
      "--",
      "a b",
      "",
    ];
    expect(parseCliArgs(argv)).toMatchObject({
      kind: "run",
      script: "seed.ts",
      args: ["--json", "-x", "--timeout", "9", "--", "a b", ""],
      json: true,
      timeout: 2.5,
      mode: "staging",
    });
  });

  test("--help and --version after the script belong to the script", () => {
    expect(parseCliArgs(["seed.ts", "--help", "-v"])).toMatchObject({
      kind: "run",
      script: "seed.ts",
      args: ["--help", "-v"],
    });
  });

  test("--opt=value and --opt value both work", () => {
    expect(parseCliArgs(["--config=vite.other.mts", "--root", "app", "--mode=test", "s.ts"])).toMatchObject({
      config: "vite.other.mts",
      root: "app",
      mode: "test",
      script: "s.ts",
    });
  });

  test("an option's value that looks like a script is the option's value", () => {
    expect(parseCliArgs(["--config", "seed.ts", "other.ts"])).toMatchObject({ config: "seed.ts", script: "other.ts" });
  });

  test("-- ends the options: the next word is the script even if it starts with a dash", () => {
    expect(parseCliArgs(["--json", "--", "--odd-name.ts", "--json"])).toMatchObject({
      script: "--odd-name.ts",
      args: ["--json"],
      json: true,
    });
  });

  test("-h / --help and -v / --version", () => {
    expect(parseCliArgs(["-h"])).toEqual({ kind: "help" });
    expect(parseCliArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseCliArgs(["-v"])).toEqual({ kind: "version" });
    expect(parseCliArgs(["--version"])).toEqual({ kind: "version" });
    expect(parseCliArgs(["--json", "--help", "seed.ts"])).toEqual({ kind: "help" });
  });

  test("an unknown option is a usage error that names it and says where options go", () => {
    const error = usageError(["--nope", "seed.ts"]);
    expect(error.message).toContain("Unknown option '--nope'");
    expect(error.message).toContain("Options go before the script; run worker-run --help to see them.");
  });

  test("an unknown short option too", () => {
    expect(usageError(["-q", "seed.ts"]).message).toContain("Unknown option '-q'");
  });

  test("no script is a usage error with the usage line", () => {
    for (const argv of [[], ["--json"], ["--"], ["--mode", "dev"]]) {
      expect(usageError(argv).message, JSON.stringify(argv)).toBe(
        "No script given. Usage: worker-run [options] <script> [args…], e.g. worker-run src/scripts/seed.ts",
      );
    }
  });

  test("an option that needs a value and has none", () => {
    expect(usageError(["--timeout"]).message).toContain("'--timeout <value>' argument missing");
  });

  test.each(["0", "-1", "abc", "", " ", "Infinity", "NaN"])("--timeout=%j is a usage error", (value) => {
    expect(usageError([`--timeout=${value}`, "seed.ts"]).message).toBe(
      `--timeout takes a positive number of seconds, not ${JSON.stringify(value)}.`,
    );
  });

  test("a negative --timeout given as a separate word is ambiguous to parseArgs, still a usage error", () => {
    const { message } = usageError(["--timeout", "-1", "seed.ts"]);
    expect(message).toContain("Option '--timeout' argument is ambiguous");
    expect(message).toContain("Options go before the script");
  });

  test("a boolean option given a value", () => {
    expect(usageError(["--json=1", "seed.ts"]).message).toBe(
      "Option '--json' does not take an argument. Options go before the script; run worker-run --help to see them.",
    );
  });

  test("--timeout takes fractions of a second", () => {
    expect(parseCliArgs(["--timeout", "0.5", "s.ts"])).toMatchObject({ timeout: 0.5 });
  });
});

describe("asksForJson: whether a usage error is printed as one JSON document too", () => {
  test.each<[string[], boolean]>([
    [["--json", "seed"], true],
    [["seed", "--json"], false], // the script's word, not the launcher's
    [["--migrate", "DB", "--json"], true], // --migrate runs no script: every word is the launcher's
    [["--json", "--migrate=DB", "extra"], true],
    [["--migrate", "DB"], false],
  ])("%j: %s", (argv, expected) => {
    expect(asksForJson(argv)).toBe(expected);
  });
});
