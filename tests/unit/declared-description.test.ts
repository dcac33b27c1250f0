// common/declared-description.ts: --list reads a declared script's description from its
// source, without running it; anything but a plain string literal falls back to the doc comment.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { declaredDescription } from "../../common/declared-description.js";
import { describeScript } from "../../common/script-folders.js";

describe("declaredDescription", () => {
  test.each([
    ['export default defineScript({ description: "Backfills events." }, async () => {});', "Backfills events."],
    ["export default defineScript<Env>({ description: 'Single quotes' }, fn);", "Single quotes"],
    ["export default defineScript({\n  // a comment\n  description: /* here too */ `A template`,\n}, fn);", "A template"],
    ['defineScript({ "description": "Quoted key", options: {} }, fn)', "Quoted key"],
    ['defineObjectScript({ description: "In an object" }, fn)', "In an object"],
    // The top level only: an option's description is not the script's.
    ['defineScript({ options: { n: { type: "number", description: "rows" } }, description: "Top" }, fn)', "Top"],
    ['defineScript({ options: { n: { description: "rows" } } }, fn)', undefined],
    ['defineScript({ note: "{ description: \\"no\\" }", description: "Yes" }, fn)', "Yes"],
    ['defineScript({ description: "Line one\\nline two" }, fn)', "Line one\nline two"],
    // Not a literal: left to the doc comment.
    ["defineScript({ description: text }, fn)", undefined],
    ["defineScript({ description: `a ${b}` }, fn)", undefined],
    ['defineScript({ description: "a" + b }, fn)', undefined],
    ["export default defineScript(async ({ args }) => args);", undefined],
    ["const x = { description: 'not a script' };", undefined],
    // The declaration in a constant the call names (as `typeof declaration` needs).
    ['const declaration = {\n  description: "From a const",\n} as const;\nexport default defineObjectScript<typeof declaration, Env, Tally>(declaration, fn);', "From a const"],
    ['const spec: ScriptDeclaration = { description: "Annotated" };\ndefineScript(spec, fn);', "Annotated"],
    ['const other = { description: "Not this one" };\nconst spec = { options: {} };\ndefineScript(spec, fn);', undefined],
  ])("%s", (code, expected) => {
    expect(declaredDescription(code)).toBe(expected);
  });
});

describe("describeScript", () => {
  test("the declared description's first line wins over the doc comment; without one, the doc comment", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "worker-run-describe-"));
    try {
      const declared = path.join(dir, "declared.ts");
      writeFileSync(declared, '/** The doc comment. */\nexport default defineScript({ description: "\\n  Declared.\\n  More." }, fn);\n');
      const plain = path.join(dir, "plain.ts");
      writeFileSync(plain, "/** The doc comment. */\nexport default defineScript(fn);\n");
      expect(describeScript(declared)).toBe("Declared.");
      expect(describeScript(plain)).toBe("The doc comment.");
      expect(describeScript(path.join(dir, "missing.ts"))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
