// launcher/console-input.ts: when an entry needs another line, and what Tab offers.
import { describe, expect, test } from "vitest";
import { completeEntry, isIncomplete } from "../../launcher/console-input.js";

describe("isIncomplete", () => {
  test.each([
    "function add(a, b) {\n",
    "function add(a, b) {\n  return a + b\n",
    "await db.prepare(\n",
    "await db.prepare(\n  'SELECT 1'\n",
    "const t = `multi\n",
    "1 +\n",
    "[1,\n",
    "if (x) {\n  y()\n",
    "/* a comment\n",
  ])("%j waits for more", (code) => {
    expect(isIncomplete(code)).toBe(true);
  });

  test.each([
    "1 + 1\n",
    "function add(a, b) {\n  return a + b\n}\n",
    "await db.prepare(\n  'SELECT 1'\n).first()\n",
    "const t = `multi\nline`\n",
    "{ a: 1 }\n",
    "foo)\n",
    "const s = 'abc\n",
    "import { x } from 'y'\n",
    "const { a } = await import('x')\n",
    "\n",
  ])("%j is finished (or wrong, and sent to get its error)", (code) => {
    expect(isIncomplete(code)).toBe(false);
  });
});

describe("completeEntry", () => {
  const completions = { names: ["db", "database", "_", "_error"], bindings: ["DB", "DOCS", "KV"] };

  test("env. completes the binding names", () => {
    expect(completeEntry("env.D", completions)).toEqual([["env.DB", "env.DOCS"], "env.D"]);
    expect(completeEntry("await env.", completions)).toEqual([["env.DB", "env.DOCS", "env.KV"], "env."]);
  });

  test("a word completes the session's names, the context and the globals", () => {
    expect(completeEntry("const x = da", completions)).toEqual([["database"], "da"]);
    expect(completeEntry("d", completions)[0]).toEqual(expect.arrayContaining(["db", "database"]));
    expect(completeEntry("en", completions)[0]).toContain("env");
    expect(completeEntry("JSO", completions)[0]).toContain("JSON");
    expect(completeEntry("proc", completions)[0]).not.toContain("process");
  });
});
