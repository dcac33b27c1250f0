// A script path is canonicalised once (resolve, realpath), checked on that canonical
// path, and that path is what gets imported. A real directory tree in the OS temp dir.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resolveScriptPath, SCRIPT_EXTENSIONS, type ScriptPathProblem } from "../../common/script-path.js";

let base: string; // <tmp>/script-path-XXXX, canonical
let root: string; // <base>/app
let outside: string; // <base>/outside

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), "script-path-")));
  root = path.join(base, "app");
  outside = path.join(base, "outside");
  mkdirSync(path.join(root, "src/scripts/folder"), { recursive: true });
  mkdirSync(path.join(root, "src/scripts/dir.ts"), { recursive: true });
  mkdirSync(outside);
  for (const extension of SCRIPT_EXTENSIONS) writeFileSync(path.join(root, `src/scripts/seed${extension}`), "");
  writeFileSync(path.join(root, "src/scripts/notes.txt"), "");
  writeFileSync(path.join(root, "src/scripts/noextension"), "");
  writeFileSync(path.join(outside, "evil.ts"), "");
  writeFileSync(path.join(base, "app-sibling.ts"), "");
  symlinkSync(path.join(outside, "evil.ts"), path.join(root, "src/scripts/link-out.ts"));
  symlinkSync(path.join(root, "src/scripts/seed.ts"), path.join(root, "src/scripts/link-in.ts"));
  symlinkSync(outside, path.join(root, "src/linked-outside"));
  symlinkSync(path.join(root, "src/scripts/notes.txt"), path.join(root, "src/scripts/disguised.ts"));
  symlinkSync(root, path.join(base, "root-link"));
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

function refused(input: string, problem: ScriptPathProblem, baseDir?: string): string {
  const result = resolveScriptPath(root, input, baseDir);
  expect(result, JSON.stringify(input)).toMatchObject({ ok: false, problem });
  return result.ok ? "" : result.message;
}

describe("resolveScriptPath accepts", () => {
  test("a relative path inside the root, as its canonical absolute path", () => {
    expect(resolveScriptPath(root, "src/scripts/seed.ts")).toEqual({
      ok: true,
      path: path.join(root, "src/scripts/seed.ts"),
    });
  });

  test("an absolute path inside the root", () => {
    const file = path.join(root, "src/scripts/seed.ts");
    expect(resolveScriptPath(root, file)).toEqual({ ok: true, path: file });
  });

  test("a path with . and .. that stays inside", () => {
    expect(resolveScriptPath(root, "./src/scripts/../scripts/./seed.ts")).toEqual({
      ok: true,
      path: path.join(root, "src/scripts/seed.ts"),
    });
  });

  test("a path relative to another base directory (the launcher's cwd)", () => {
    expect(resolveScriptPath(root, "scripts/seed.ts", path.join(root, "src"))).toEqual({
      ok: true,
      path: path.join(root, "src/scripts/seed.ts"),
    });
  });

  test("a symlink inside the root to a file inside it: the target is what gets imported", () => {
    expect(resolveScriptPath(root, "src/scripts/link-in.ts")).toEqual({
      ok: true,
      path: path.join(root, "src/scripts/seed.ts"),
    });
  });

  test("a root given through a symlink", () => {
    const linkedRoot = path.join(base, "root-link");
    expect(resolveScriptPath(linkedRoot, "src/scripts/seed.ts")).toEqual({
      ok: true,
      path: path.join(root, "src/scripts/seed.ts"),
    });
  });

  test.each(SCRIPT_EXTENSIONS)("the extension %s", (extension) => {
    expect(resolveScriptPath(root, `src/scripts/seed${extension}`)).toMatchObject({ ok: true });
  });
});

describe("resolveScriptPath refuses", () => {
  test("../ out of the root, with a message that says what to do", () => {
    expect(refused("../outside/evil.ts", "outside-root")).toBe(
      `Script "../outside/evil.ts" is outside the project root ${root}. Scripts run with the app's bindings, so they must live inside the project: move it under ${root}.`,
    );
  });

  test("a sibling whose name starts with the root's name (no prefix confusion)", () => {
    refused("../app-sibling.ts", "outside-root");
    refused(path.join(base, "app-sibling.ts"), "outside-root");
  });

  test("an absolute path outside the root", () => {
    refused(path.join(outside, "evil.ts"), "outside-root");
    refused("/etc/passwd", "outside-root");
  });

  test("a symlink inside the root that points outside it", () => {
    refused("src/scripts/link-out.ts", "outside-root");
  });

  test("a file under a symlinked directory that leads outside", () => {
    refused("src/linked-outside/evil.ts", "outside-root");
  });

  test("the root itself", () => {
    expect(resolveScriptPath(root, ".").ok).toBe(false);
  });

  test.each([
    "data:text/javascript,export default 1",
    "node:fs",
    "file:///etc/passwd",
    "http://example.com/a.ts",
    "https://example.com/a.ts",
    "virtual:worker-run/entry",
    "C:\\scripts\\seed.ts",
  ])("a scheme: %s", (input) => {
    expect(refused(input, "syntax")).toBe(
      `Script ${JSON.stringify(input)} is not a file path. Give the path of a .ts or .js file inside the project, without a scheme, query or fragment.`,
    );
  });

  test.each([
    "src/scripts/seed.ts?raw",
    "src/scripts/seed.ts?url",
    "src/scripts/seed.ts#x",
    "src/scripts/seed.ts\0.txt",
    "\0virtual:x",
    "",
  ])("a query, fragment, NUL byte or nothing: %j", (input) => {
    refused(input, "syntax");
  });

  test("a percent-encoded ../ is a file name here, and there is no such file", () => {
    refused("%2e%2e/outside/evil.ts", "not-found");
    refused("..%2foutside%2fevil.ts", "not-found");
  });

  test("backslashes are file-name characters on POSIX, not separators", () => {
    refused("..\\outside\\evil.ts", "not-found");
  });

  test("a file with another extension", () => {
    expect(refused("src/scripts/notes.txt", "extension")).toBe(
      `Script "src/scripts/notes.txt" has an extension worker-run does not run. Use one of ${SCRIPT_EXTENSIONS.join(" ")}.`,
    );
    refused("src/scripts/noextension", "extension");
  });

  test("a .ts symlink to a .txt file: the extension is checked on the canonical path", () => {
    refused("src/scripts/disguised.ts", "extension");
  });

  test("a directory, even one named like a script", () => {
    expect(refused("src/scripts/folder", "not-a-file")).toBe(
      `Script "src/scripts/folder" is not a file (${path.join(root, "src/scripts/folder")}).`,
    );
    refused("src/scripts/dir.ts", "not-a-file");
  });

  test("a file that does not exist, naming where it looked", () => {
    expect(refused("src/scripts/sed.ts", "not-found")).toBe(
      `Script "src/scripts/sed.ts" not found (looked in ${root}).`,
    );
  });

  test("a dangling symlink", () => {
    symlinkSync(path.join(root, "src/scripts/gone.ts"), path.join(root, "src/scripts/dangling.ts"));
    refused("src/scripts/dangling.ts", "not-found");
  });
});
