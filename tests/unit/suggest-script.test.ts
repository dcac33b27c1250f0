// plugin/suggest-script.ts: "not found" says which script the user probably meant.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { editDistance, suggestScript } from "../../launcher/suggest-script.js";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "worker-run-suggest-"));
  await mkdir(path.join(root, "src/scripts"), { recursive: true });
  await mkdir(path.join(root, "scripts"), { recursive: true });
  await writeFile(path.join(root, "src/scripts/seed.ts"), "");
  await writeFile(path.join(root, "src/scripts/notes.txt"), "");
  await writeFile(path.join(root, "scripts/report.mjs"), "");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("suggestScript", () => {
  test("a typo in the file name", () => {
    expect(suggestScript(root, root, "src/scripts/sed.ts")).toBe("src/scripts/seed.ts");
  });

  test("the right name in the wrong folder", () => {
    expect(suggestScript(root, root, "src/seed.ts")).toBe("src/scripts/seed.ts");
  });

  test("a script in scripts/, relative to where the user is", () => {
    expect(suggestScript(root, path.join(root, "src"), "../scripts/reprt.mjs")).toBe("../scripts/report.mjs");
  });

  test("nothing close enough: no suggestion rather than a wild guess", () => {
    expect(suggestScript(root, root, "src/scripts/migrate-users-to-v2.ts")).toBeUndefined();
  });

  test("never suggests a file that is not a script", () => {
    expect(suggestScript(root, root, "src/scripts/notes.ts")).not.toBe("src/scripts/notes.txt");
  });
});

test("editDistance counts insertions, deletions and substitutions", () => {
  expect(editDistance("seed", "seed")).toBe(0);
  expect(editDistance("sed", "seed")).toBe(1);
  expect(editDistance("seed", "feed")).toBe(1);
  expect(editDistance("", "abc")).toBe(3);
  expect(editDistance("kitten", "sitting")).toBe(3);
});
