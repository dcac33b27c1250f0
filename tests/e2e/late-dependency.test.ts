/**
 * A script that imports a package the app never imports itself still reports its error at
 * the script's own lines, with a cold Vite dependency cache.
 *
 * The fixture's worker imports magic-string, which Vite pre-bundles at start-up with
 * @jridgewell/sourcemap-codec inlined. The script imports @jridgewell/sourcemap-codec. Had
 * Vite met that import only during the run, it would pre-bundle both packages again, with the
 * codec now a file of its own that magic-string imports; magic-string's file hash changes, so
 * Vite reloads the worker's module runner mid-run ("optimized dependencies changed.
 * reloading"), and the runner drops the source maps of the script: the stack then points at
 * lines and columns of the transformed code (late-import.ts:10:8 instead of 8:9). The plugin
 * prevents this by adding the script folders to the worker's `optimizeDeps.entries`, so that
 * Vite scans the script's imports at start-up.
 */
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

let project: TempProject;

beforeEach(async () => {
  // The fixture sets `cacheDir: ".vite"`, which copyProject leaves out: the cache is cold.
  project = await copyProject(path.join(FIXTURES_DIR, "late-dependency"));
});

afterEach(async () => {
  await project?.remove();
});

test("cold cache, a dependency only the script imports: the error and its cause at the .ts lines", async () => {
  const result = await runCliBounded(["src/scripts/late-import.ts"], { cwd: project.dir });
  expect(result.code, describeRun(result)).toBe(1);
  expect(result.signal, describeRun(result)).toBeNull();
  expect(result.stdout, describeRun(result)).toBe("");
  // The error's frame, then its cause's frame, each at the line and column of the source.
  expect(result.stderr, describeRun(result)).toMatch(
    /(?:^|\n)Error: the fixture threw after a late import\n\s+at [^\n]*src\/scripts\/late-import\.ts:8:9\n/,
  );
  expect(result.stderr, describeRun(result)).toMatch(
    /(?:^|\n)Caused by: Error: decoded 1 line\n\s+at [^\n]*src\/scripts\/late-import\.ts:6:17\n/,
  );
  expect(result.stderr, describeRun(result)).toContain("✖ src/scripts/late-import.ts failed");
});
