import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";

test("publint finds nothing to fix in the package", async () => {
  const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
  const { messages } = await publint({ pkgDir: REPO_ROOT, strict: true });
  expect(messages.map((message) => formatMessage(message, manifest))).toEqual([]);
});
