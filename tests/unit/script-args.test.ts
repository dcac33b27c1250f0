// runtime/script-args.ts, runtime/script-help.ts, runtime/declared-script.ts: a declared
// script's command line, parsed as node:util parseArgs (strict) would, its usage and help.
// Pure logic, so it runs in Node; every case is also checked against parseArgs where
// parseArgs has the same notion.
import { parseArgs } from "node:util";
import { describe, expect, test } from "vitest";
import { prepareDeclaredScript } from "../../runtime/declared-script.js";
import { asksForHelp, declarationProblem, parseScriptArgs } from "../../runtime/script-args.js";
import { formatHelp, formatUsage } from "../../runtime/script-help.js";
import { defineScript, type ScriptDeclaration } from "../../runtime/script.js";

const BACKFILL = {
  description: "Backfills a table from the archive.\nSafe to run twice.",
  options: {
    count: { type: "number", short: "n", default: 10, description: "rows to insert" },
    dryRun: { type: "boolean", short: "d", description: "change nothing" },
    verbose: { type: "boolean", short: "v" },
    mode: { type: "string", choices: ["fast", "safe"], default: "safe" },
    tag: { type: "string", multiple: true },
  },
  positionals: [{ name: "table", description: "the table to fill" }],
} as const satisfies ScriptDeclaration;

const ok = (args: string[], declaration: ScriptDeclaration = BACKFILL) => {
  const parsed = parseScriptArgs(declaration, args);
  if (!parsed.ok) throw new Error(`Expected ${JSON.stringify(args)} to parse, got: ${parsed.problem}`);
  return parsed;
};
const problem = (args: string[], declaration: ScriptDeclaration = BACKFILL): string => {
  const parsed = parseScriptArgs(declaration, args);
  if (parsed.ok) throw new Error(`Expected ${JSON.stringify(args)} to be refused, got ${JSON.stringify(parsed)}`);
  return parsed.problem;
};

describe("parseScriptArgs: what parses", () => {
  test("defaults: a number's default, booleans false, multiple []", () => {
    expect(ok(["events"])).toStrictEqual({
      ok: true,
      options: { count: 10, dryRun: false, verbose: false, mode: "safe", tag: [] },
      positionals: { table: "events" },
    });
  });

  test.each([
    [["--count", "5", "events"], 5],
    [["--count=5", "events"], 5],
    [["-n", "5", "events"], 5],
    [["-n5", "events"], 5],
    [["events", "-n", "2.5"], 2.5],
    [["--count=-3", "events"], -3],
    [["-n", "1", "-n", "7", "events"], 7], // the last one wins, as in parseArgs
  ])("%j: count is %d", (args, count) => {
    expect(ok(args).options.count).toBe(count);
  });

  test("booleans: --dry-run, --dryRun (the key as written), --no-dry-run, grouped -dv", () => {
    expect(ok(["--dry-run", "t"]).options.dryRun).toBe(true);
    expect(ok(["--dryRun", "t"]).options.dryRun).toBe(true);
    expect(ok(["--dry-run", "--no-dry-run", "t"]).options.dryRun).toBe(false);
    expect(ok(["-dv", "t"]).options).toMatchObject({ dryRun: true, verbose: true });
    expect(ok(["-dn3", "t"]).options).toMatchObject({ dryRun: true, count: 3 });
  });

  test("-- ends the options: what follows is positional, even --help", () => {
    expect(ok(["--", "--dry-run"]).positionals).toStrictEqual({ table: "--dry-run" });
    expect(asksForHelp(["--", "--help"])).toBe(false);
    expect(asksForHelp(["events", "--help"])).toBe(true);
    expect(asksForHelp(["-h"])).toBe(true);
    expect(asksForHelp(["-hx"])).toBe(false);
  });

  test("multiple options collect in order; a lone - is a positional", () => {
    expect(ok(["--tag", "a", "--tag=b", "-"]).options.tag).toStrictEqual(["a", "b"]);
    expect(ok(["-"]).positionals).toStrictEqual({ table: "-" });
  });

  test("positionals: optional ones are undefined, a multiple last one takes the rest", () => {
    const declaration: ScriptDeclaration = {
      positionals: [{ name: "from" }, { name: "to", required: false }, { name: "rest", multiple: true, required: false }],
    };
    expect(ok(["a"], declaration).positionals).toStrictEqual({ from: "a", to: undefined, rest: [] });
    expect(ok(["a", "b", "c", "d"], declaration).positionals).toStrictEqual({ from: "a", to: "b", rest: ["c", "d"] });
  });

  test("the same words give parseArgs' values where parseArgs has the notion", () => {
    const args = ["-dv", "--count=4", "--tag", "x", "--no-verbose", "events"];
    const node = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
      options: {
        count: { type: "string", short: "n" },
        "dry-run": { type: "boolean", short: "d" },
        verbose: { type: "boolean", short: "v" },
        tag: { type: "string", multiple: true },
      },
    });
    const ours = ok(args);
    expect(ours.options).toMatchObject({
      count: Number(node.values.count),
      dryRun: node.values["dry-run"],
      verbose: node.values.verbose,
      tag: node.values.tag,
    });
    expect(Object.values(ours.positionals)).toStrictEqual(node.positionals);
  });
});

describe("parseScriptArgs: usage errors, each with its sentence", () => {
  test.each([
    [["--cuont", "3", "t"], "Unknown option --cuont."],
    [["-x", "t"], "Unknown option -x."],
    [["--no-count", "t"], "Unknown option --no-count."],
    [["t", "--count"], "Option --count needs a value."],
    [["t", "-n"], "Option -n needs a value."],
    [["--count", "--dry-run", "t"], 'Option --count needs a value, not the option-like "--dry-run" (to give it that value, write --count=--dry-run).'],
    [["--count", "ten", "t"], 'Option --count takes a number, not "ten".'],
    [["--count=", "t"], 'Option --count takes a number, not "".'],
    [["-n", "Infinity", "t"], 'Option --count takes a number, not "Infinity".'],
    [["--mode", "slow", "t"], 'Option --mode must be one of fast, safe, not "slow".'],
    [["--dry-run=yes", "t"], "Option --dry-run takes no value (use --dry-run or --no-dry-run)."],
    [[], "Missing <table>."],
    [["a", "b"], 'Unexpected argument "b".'],
  ])("%j", (args, message) => {
    expect(problem(args)).toBe(message);
  });

  test("a required option, and positionals where none are declared", () => {
    expect(problem([], { options: { table: { type: "string", required: true } } })).toBe("Option --table is required.");
    expect(problem(["x"], { options: {} })).toBe('Unexpected argument "x": this script takes no positional arguments.');
  });

  test("parseArgs refuses the same words (strict)", () => {
    const options = { count: { type: "string", short: "n" }, "dry-run": { type: "boolean" } } as const;
    for (const args of [["--cuont", "3"], ["--count"], ["--dry-run=yes"], ["--count", "--dry-run"]]) {
      expect(() => parseArgs({ args, options, strict: true, allowPositionals: true })).toThrow();
    }
  });
});

describe("declarationProblem: mistakes in the declaration itself", () => {
  test.each([
    [{ options: { n: { type: "int" } } }, 'option "n" has type "int"; use "string", "number" or "boolean".'],
    [{ options: { help: { type: "boolean" } } }, 'option "help" takes --help or -h, which show the script\'s help.'],
    [{ options: { a: { type: "boolean", short: "ab" } } }, 'option "a" has short "ab"; a short is one letter or digit.'],
    [{ options: { a: { type: "boolean", short: "x" }, b: { type: "string", short: "x" } } }, 'option "b" has short "x", which another option has.'],
    [{ positionals: [{ name: "a", multiple: true }, { name: "b" }] }, 'positional "a" is multiple but not the last.'],
    [{ positionals: [{ name: "a", required: false }, { name: "b" }] }, 'positional "b" is required but follows an optional one.'],
  ])("%j", (declaration, message) => {
    expect(declarationProblem(declaration as ScriptDeclaration)).toBe(message);
  });

  test("a good one has none", () => {
    expect(declarationProblem(BACKFILL)).toBeUndefined();
  });
});

describe("usage and help", () => {
  test("the usage line names every option and positional", () => {
    expect(formatUsage("backfill", BACKFILL)).toBe(
      "worker-run backfill [--count <number>] [--dry-run] [--verbose] [--mode <fast|safe>] [--tag <string>]... <table>",
    );
  });

  test("the help: description, usage, arguments, options with defaults", () => {
    expect(formatHelp("backfill", BACKFILL)).toBe(`Backfills a table from the archive.
Safe to run twice.

Usage: worker-run backfill [--count <number>] [--dry-run] [--verbose] [--mode <fast|safe>] [--tag <string>]... <table>

Arguments:
  <table>  the table to fill

Options:
  -n, --count <number>    rows to insert (default: 10)
  -d, --dry-run           change nothing
  -v, --verbose
      --mode <fast|safe>  (default: "safe")
      --tag <string>      (repeatable)
  -h, --help              show this help
`);
  });
});

describe("prepareDeclaredScript", () => {
  const body = { script: "/app/src/scripts/backfill.ts", args: [], name: "backfill" };
  const declared = defineScript(BACKFILL, async () => "ran");
  const context = (args: string[]) => ({ args }) as { args: string[]; options?: unknown; positionals?: unknown };

  test("a script without a declaration is left alone", () => {
    const plain = context(["--help", "x"]);
    expect(prepareDeclaredScript(async () => {}, body, plain)).toBeUndefined();
    expect(plain).toStrictEqual({ args: ["--help", "x"] });
  });

  test("--help answers the help, a success the script is not called for", () => {
    expect(prepareDeclaredScript(declared, body, context(["events", "--help"]))).toStrictEqual({
      ok: true,
      result: undefined,
      help: formatHelp("backfill", BACKFILL),
    });
  });

  test("a bad value is a usage failure ending with the usage line", () => {
    expect(prepareDeclaredScript(declared, body, context(["--count", "ten", "events"]))).toStrictEqual({
      ok: false,
      kind: "usage",
      error: {
        name: "UsageError",
        message:
          'Option --count takes a number, not "ten".\nUsage: worker-run backfill [--count <number>] [--dry-run] [--verbose] [--mode <fast|safe>] [--tag <string>]... <table>\nRun worker-run backfill --help to see its options.',
      },
    });
  });

  test("parsed values go into the context; without a typed name, the file's name", () => {
    const run = context(["-n", "3", "events"]);
    expect(prepareDeclaredScript(declared, { ...body, name: undefined }, run)).toBeUndefined();
    expect(run).toMatchObject({ options: { count: 3, dryRun: false }, positionals: { table: "events" } });
    const bad = prepareDeclaredScript(declared, { ...body, name: undefined }, context([]));
    expect(bad?.ok === false && bad.error.message).toContain("Usage: worker-run backfill [--count <number>]");
  });

  test("a bad declaration is a usage failure naming the script", () => {
    const broken = defineScript({ options: { n: { type: "int" } } } as unknown as ScriptDeclaration, async () => {});
    const answer = prepareDeclaredScript(broken, body, context([]));
    expect(answer).toMatchObject({ ok: false, kind: "usage" });
    expect(answer?.ok === false && answer.error.message).toBe(
      'The declaration of "/app/src/scripts/backfill.ts" is not valid: option "n" has type "int"; use "string", "number" or "boolean". Fix the defineScript({ … }) call.',
    );
  });
});
