// What the launcher prints: (control characters stripped from script-provided text in
// human output; --json stays one valid JSON document). Colours are off (NO_COLOR in Vitest's env).
import { describe, expect, test } from "vitest";
import { formatError, formatFailure, formatJsonOutcome, formatResult, formatSummary } from "../../launcher/report.js";
import type { RunOutcome } from "../../launcher/run-script.js";
import { stripControlCharacters } from "../../launcher/script-output.js";

type Failure = Extract<RunOutcome, { ok: false }>;

const ESC = "\u001b";
const BEL = "\u0007";
/** True if `text` holds a character a terminal would act on (C0 but tab and newline, DEL, C1). */
const hasControl = (text: string): boolean => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text);

describe("stripControlCharacters", () => {
  test.each([
    ["SGR colours", `${ESC}[31mred${ESC}[0m plain`, "red plain"],
    ["cursor moves and screen clearing", `${ESC}[2J${ESC}[H${ESC}[10;20Hhere${ESC}[?25l`, "here"],
    ["an OSC window title ended by BEL", `${ESC}]0;pwned title${BEL}after`, "after"],
    ["an OSC 8 hyperlink ended by ST", `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`, "click"],
    ["an unterminated OSC", `before${ESC}]0;title`, "before"],
    ["C0 controls", `a\u0000b${BEL}c\bd\re\u000bf\u000cg`, "abcdefg"],
    ["a lone ESC and other ESC sequences' introducer", `x${ESC}cy${ESC}`, "xcy"],
    ["DEL and C1 controls (8-bit CSI, NEL)", "a\u007fb\u009b31mc\u0085d", "ab31mcd"],
  ])("removes %s", (_, input, expected) => {
    const stripped = stripControlCharacters(input);
    expect(stripped).toBe(expected);
    expect(hasControl(stripped)).toBe(false);
  });

  test("keeps newlines, tabs and ordinary Unicode", () => {
    const text = "line 1\n\tindented ✔ é 日本 🚀\nline 3";
    expect(stripControlCharacters(text)).toBe(text);
  });
});

describe("formatJsonOutcome", () => {
  test("success: exactly { ok, result }", () => {
    const outcome: RunOutcome = { ok: true, exitCode: 0, result: { inserted: 3 }, durationMs: 12 };
    expect(formatJsonOutcome(outcome)).toBe('{"ok":true,"result":{"inserted":3}}');
  });

  test("success without a result: result is null, so the key is always there", () => {
    const outcome: RunOutcome = { ok: true, exitCode: 0, result: undefined, durationMs: 1 };
    expect(JSON.parse(formatJsonOutcome(outcome))).toEqual({ ok: true, result: null });
  });

  test("failure: exactly { ok: false, error: { name, message, stack, cause } }", () => {
    const error = {
      name: "Error",
      message: "seed failed",
      stack: "Error: seed failed\n    at seed.ts:3:9",
      cause: { name: "TypeError", message: "inner" },
    };
    const outcome: RunOutcome = { ok: false, exitCode: 1, kind: "run", error, durationMs: 5 };
    expect(JSON.parse(formatJsonOutcome(outcome))).toEqual({ ok: false, error });
  });

  test("one line of valid JSON, even when the script's text holds escape sequences", () => {
    const outcome: RunOutcome = {
      ok: false,
      exitCode: 1,
      kind: "run",
      error: { name: "Error", message: `${ESC}[2Jgone\nsecond line` },
    };
    const document = formatJsonOutcome(outcome);
    expect(document).not.toContain("\n");
    expect(hasControl(document)).toBe(false);
    expect(JSON.parse(document).error.message).toBe(`${ESC}[2Jgone\nsecond line`);
  });
});

describe("human output", () => {
  test("formatResult: nothing for undefined, indented JSON otherwise, escapes kept inert", () => {
    expect(formatResult(undefined)).toBe("");
    expect(formatResult({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(hasControl(formatResult({ title: `${ESC}]0;pwned${BEL}` }))).toBe(false);
  });

  test("formatFailure: a usage problem is its sentence, stripped", () => {
    const outcome: Failure = {
      ok: false,
      exitCode: 2,
      kind: "usage",
      error: { name: "UsageError", message: `Script ${ESC}[31m"x.ts"${ESC}[0m not found.` },
    };
    expect(formatFailure(outcome)).toBe('Script "x.ts" not found.');
  });

  test("formatFailure: an error shows heading, frames and causes, stripped", () => {
    const outcome: Failure = {
      ok: false,
      exitCode: 1,
      kind: "run",
      error: {
        name: "Error",
        message: `seed ${ESC}[2Jfailed`,
        stack: `Error: seed failed\n    at default (/app/src/scripts/seed.ts:3:9)\n    at run (/pkg/dispatcher.js:1:1)`,
        cause: { name: "TypeError", message: `bad${BEL} row`, cause: { name: "Error", message: "root" } },
      },
    };
    expect(formatFailure(outcome)).toBe(
      [
        "Error: seed failed",
        "    at default (/app/src/scripts/seed.ts:3:9)",
        "    at run (/pkg/dispatcher.js:1:1)",
        "Caused by: TypeError: bad row",
        "Caused by: Error: root",
      ].join("\n"),
    );
  });

  test("formatError without a stack is its heading", () => {
    expect(formatError({ name: "RangeError", message: "too big" })).toBe("RangeError: too big");
  });

  test("formatSummary: how the run ended and how long it took", () => {
    expect(formatSummary("src/scripts/seed.ts", { ok: true, exitCode: 0, result: 1, durationMs: 12 })).toBe(
      "✔ src/scripts/seed.ts finished in 12 ms",
    );
    expect(formatSummary("seed.ts", { ok: true, exitCode: 0, result: 1, durationMs: 2345 })).toBe(
      "✔ seed.ts finished in 2.35 s",
    );
    const failed: Failure = { ok: false, exitCode: 124, kind: "timeout", error: { name: "TimeoutError", message: "" } };
    expect(formatSummary("seed.ts", failed)).toBe("✖ seed.ts timed out");
  });
});

describe("nameRuntimeFrames", () => {
  test("the runtime's frames, as Vite's module runner names them, name its file instead; others stay", async () => {
    const { nameRuntimeFrames, RUNTIME_FILE } = await import("../../plugin/runtime-files.js");
    const stack = [
      "Error: boom",
      "    at seed (/app/src/scripts/seed.ts:7:9)",
      "    at callScript (/\0virtual:worker-run/runtime:850:14)",
      "    at /@id/__x00__virtual:worker-run/runtime:1116:22",
    ].join("\n");
    expect(nameRuntimeFrames(stack)).toBe(
      [
        "Error: boom",
        "    at seed (/app/src/scripts/seed.ts:7:9)",
        `    at callScript (${RUNTIME_FILE}:850:14)`,
        `    at ${RUNTIME_FILE}:1116:22`,
      ].join("\n"),
    );
  });
});

describe("formatError keeps the user's frames only", () => {
  test("frames of worker-run's runtime and of the Cloudflare runner are dropped", async () => {
    const { D1_MODULE } = await import("../../plugin/runtime-files.js");
    const stack = [
      "Error: boom",
      "    at seed (/app/src/scripts/seed.ts:7:9)",
      // The runtime module as Vite's module runner names it, and a file beside it.
      "    at callScript (/\0virtual:worker-run/runtime:850:14)",
      `    at applyD1Migrations (${D1_MODULE}:40:5)`,
      "    at maybeCaptureError (workers/runner-worker/index.js:50:10)",
    ].join("\n");
    expect(formatError({ name: "Error", message: "boom", stack })).toBe(
      "Error: boom\n    at seed (/app/src/scripts/seed.ts:7:9)",
    );
  });
});
