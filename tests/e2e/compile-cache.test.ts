/**
 * The launcher turns Node's compile cache on (Node 22.1 and later), as Vite's own CLI does: a
 * cold run loads megabytes of JavaScript (Vite, the Cloudflare plugin, Miniflare, wrangler's
 * config code) that V8 would otherwise compile anew every time. The cache goes where Node puts
 * it (NODE_COMPILE_CACHE, else node-compile-cache in the temp directory), and
 * NODE_DISABLE_COMPILE_CACHE=1 keeps it off. On a Node without the API the launcher just runs.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import module from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, test } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { describeRun, runCli } from "../helpers/run-cli.js";

const SUPPORTED = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === "function";
const ownVersion = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

let tempDir: string | undefined;

afterEach(async () => {
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
  tempDir = undefined;
});

/** Runs `worker-run --version` with its temp directory in a fresh folder; the cache files written there. */
async function cachedFilesAfterRun(env: NodeJS.ProcessEnv): Promise<string[]> {
  tempDir = await mkdtemp(path.join(os.tmpdir(), "worker-run-compile-cache-"));
  const result = await runCli(["--version"], {
    cwd: REPO_ROOT,
    env: { TMPDIR: tempDir, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined, ...env },
  });
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stdout.trim()).toBe(ownVersion);
  const files = await readdir(path.join(tempDir, "node-compile-cache"), { recursive: true, withFileTypes: true }).catch(
    () => [],
  );
  return files.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

test(`a run leaves compiled code in node-compile-cache in the temp directory${SUPPORTED ? "" : " (not on this Node, which has no compile cache)"}`, async () => {
  const files = await cachedFilesAfterRun({});
  expect(files.length > 0, `cache files: ${files.join(", ")}`).toBe(SUPPORTED);
});

test("NODE_DISABLE_COMPILE_CACHE=1 keeps it off", async () => {
  expect(await cachedFilesAfterRun({ NODE_DISABLE_COMPILE_CACHE: "1" })).toEqual([]);
});
