// R8 / the contract's "vite build: the plugin does nothing": for every example and every
// fixture whose vite.config.mts uses workerRun(), `vite build` with the config as it is and
// with workerRun() taken out must write byte-identical files, none of which mentions
// worker-run. Both builds run in the same copy, one after the other, so absolute paths
// that the Cloudflare plugin writes into its output (its wrangler.json) are the same.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { EXAMPLES_DIR, FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { copyProject } from "../helpers/temp-project.js";

const VITE_BIN = path.join(REPO_ROOT, "node_modules/vite/bin/vite.js");
const CONFIG = "vite.config.mts";
const BUILD_TIMEOUT_MS = 90_000;

/**
 * Projects that exist to be refused, with nothing a build could produce. Listed, not
 * skipped: the test checks that each still fails the same way with and without workerRun().
 */
const UNBUILDABLE: Record<string, { reason: string; error: RegExp }> = {
  "tests/fixtures/no-cloudflare": {
    reason: "no cloudflare() and no index.html: there is no entry to build",
    error: /Cannot resolve entry module index\.html/,
  },
};

/** Every example, and every fixture whose config uses workerRun(), as repo-relative paths. */
function projectsToBuild(): string[] {
  const subdirectories = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(dir, entry.name));
  const examples = subdirectories(EXAMPLES_DIR);
  const fixtures = subdirectories(FIXTURES_DIR).filter((dir) => {
    const config = path.join(dir, CONFIG);
    return existsSync(config) && usesWorkerRun(readFileSync(config, "utf8"));
  });
  return [...examples, ...fixtures].map((dir) => path.relative(REPO_ROOT, dir)).sort();
}

/** Whether a config's code (its comments aside) calls workerRun(). */
function usesWorkerRun(config: string): boolean {
  return config
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .includes("workerRun()");
}

/** The config's text with workerRun() and its import removed; throws if that is not possible. */
function withoutWorkerRun(config: string): string {
  const stripped = config
    .replace(/^import\s*\{\s*workerRun\s*\}\s*from\s*["'][^"']+["'];?[^\S\n]*\n/m, "")
    .replace(/,\s*workerRun\(\)/g, "")
    .replace(/workerRun\(\)\s*,?\s*/g, "");
  if (/workerRun|vite-plugin-worker-run/.test(stripped)) {
    throw new Error(
      `Expected to be able to take workerRun() out of this config, but it still mentions it:\n${stripped}`,
    );
  }
  return stripped;
}

interface BuildResult {
  code: number | null;
  output: string;
}

/** Process groups of builds still running, stopped after each test even if it failed or timed out. */
const running = new Set<number>();

afterEach(() => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  running.clear();
});

/** `vite build` in `cwd` as a user runs it (the CLI, production NODE_ENV), to the end. */
function viteBuild(cwd: string): Promise<BuildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  delete env.NODE_ENV; // Vitest sets it to "test"; `vite build` should pick production itself.
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [VITE_BIN, "build"], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child.pid!);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      output += `\n[test] vite build did not finish within ${BUILD_TIMEOUT_MS} ms; killed.`;
      process.kill(-child.pid!, "SIGKILL");
    }, BUILD_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      resolve({ code, output });
    });
  });
}

/** Relative path → SHA-256 of every file under `dir`, node_modules and the Vite config excepted. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") await walk(full);
      } else if (entry.isFile()) {
        const relative = path.relative(dir, full);
        if (relative !== CONFIG)
          files.set(
            relative,
            createHash("sha256")
              .update(await readFile(full))
              .digest("hex"),
          );
      }
    }
  };
  await walk(dir);
  return files;
}

/** What a build wrote: the files of `after` that are new or changed since `before`. */
function written(before: Map<string, string>, after: Map<string, string>): Map<string, string> {
  return new Map([...after].filter(([file, hash]) => before.get(file) !== hash));
}

/** The differences between two output trees, one line each; empty when byte-identical. */
function compareTrees(withPlugin: Map<string, string>, withoutPlugin: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [file, hash] of withPlugin) {
    if (!withoutPlugin.has(file)) differences.push(`only with workerRun(): ${file}`);
    else if (withoutPlugin.get(file) !== hash) differences.push(`different bytes: ${file}`);
  }
  for (const file of withoutPlugin.keys()) {
    if (!withPlugin.has(file)) differences.push(`only without workerRun(): ${file}`);
  }
  return differences.sort();
}

/** Projects whose own app code mentions worker-run (it answers `/__worker-run` itself). */
const APP_MENTIONS_WORKER_RUN = ["tests/fixtures/foreign-route"];

/** Output files that mention worker-run, once the project's own absolute path is set aside. */
async function filesMentioningWorkerRun(dir: string, files: Iterable<string>): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    // The Cloudflare plugin writes absolute paths; a checkout named vite-plugin-worker-run is not a leak.
    const text = (await readFile(path.join(dir, file), "latin1")).replaceAll(dir, "<project>");
    if (text.includes("worker-run")) found.push(file);
  }
  return found;
}

/** Removes what a build wrote, so the next build starts from the same tree. */
async function removeOutput(dir: string, before: Map<string, string>): Promise<void> {
  const topLevel = new Set([...before.keys()].map((file) => file.split(path.sep)[0]!));
  for (const entry of await readdir(dir)) {
    if (!topLevel.has(entry) && entry !== CONFIG && entry !== "node_modules") {
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  expect(compareTrees(await snapshot(dir), before), "the tree after removing the first build's output").toEqual([]);
}

describe("vite build is the same with and without workerRun()", () => {
  const projects = projectsToBuild();

  test("finds the projects to build", () => {
    expect(projects).toContain("examples/d1-seed");
    expect(projects).toContain("tests/fixtures/security");
    for (const unbuildable of Object.keys(UNBUILDABLE)) {
      expect(projects, `${unbuildable} is listed as unbuildable but is no longer a project here`).toContain(
        unbuildable,
      );
    }
  });

  test.each(projects)(
    "%s",
    async (project) => {
      const source = path.join(REPO_ROOT, project);
      const configText = await readFile(path.join(source, CONFIG), "utf8").catch(() => {
        throw new Error(`${project} has no ${CONFIG}; every example must have one, with workerRun() in it.`);
      });
      expect(usesWorkerRun(configText), `${project}/${CONFIG} does not use workerRun()`).toBe(true);
      const temp = await copyProject(source);
      try {
        const before = await snapshot(temp.dir);

        const first = await viteBuild(temp.dir);
        const withPlugin = written(before, await snapshot(temp.dir));
        await removeOutput(temp.dir, before);

        await writeFile(path.join(temp.dir, CONFIG), withoutWorkerRun(configText));
        const second = await viteBuild(temp.dir);
        const withoutPlugin = written(before, await snapshot(temp.dir));

        const log = `--- with workerRun() (exit ${first.code}) ---\n${first.output}\n--- without (exit ${second.code}) ---\n${second.output}`;
        const unbuildable = UNBUILDABLE[project];
        if (unbuildable) {
          // Listed as unbuildable: both must fail for the listed reason, say the same, and write nothing.
          const expected = `${project} was expected not to build (${unbuildable.reason}):\n${log}`;
          expect(first.code !== 0 && second.code !== 0, expected).toBe(true);
          expect(first.output, expected).toMatch(unbuildable.error);
          expect(withoutTimings(first.output), log).toBe(withoutTimings(second.output));
          expect([...withPlugin.keys(), ...withoutPlugin.keys()], log).toEqual([]);
          return;
        }
        expect(first.code, `${project} does not build with workerRun():\n${log}`).toBe(0);
        expect(second.code, `${project} does not build without workerRun():\n${log}`).toBe(0);
        expect(
          [...withPlugin.keys()].some((file) => file.endsWith(".js")),
          `the build wrote no JavaScript:\n${[...withPlugin.keys()].join("\n")}\n${log}`,
        ).toBe(true);
        expect(compareTrees(withPlugin, withoutPlugin), log).toEqual([]);
        // An app that answers the path itself (as rwsdk's does) mentions it in its own code;
        // the identical trees above show none of it comes from the plugin.
        const ownMentions = APP_MENTIONS_WORKER_RUN.includes(project);
        expect((await filesMentioningWorkerRun(temp.dir, withPlugin.keys())).length > 0, log).toBe(ownMentions);
      } finally {
        await temp.remove();
      }
    },
    4 * BUILD_TIMEOUT_MS,
  );

  test("the comparison notices one changed byte, one extra file, one missing file", () => {
    const tree = new Map([
      ["dist/app/index.js", "a"],
      ["dist/app/wrangler.json", "b"],
    ]);
    expect(compareTrees(tree, new Map(tree))).toEqual([]);
    expect(compareTrees(tree, new Map([...tree, ["dist/app/index.js", "c"]]))).toEqual([
      "different bytes: dist/app/index.js",
    ]);
    expect(compareTrees(tree, new Map([...tree, ["dist/app/extra.js", "d"]]))).toEqual([
      "only without workerRun(): dist/app/extra.js",
    ]);
    expect(compareTrees(tree, new Map([["dist/app/index.js", "a"]]))).toEqual([
      "only with workerRun(): dist/app/wrangler.json",
    ]);
  });

  test("taking workerRun() out of a config leaves the rest as it was", () => {
    const config = [
      'import { cloudflare } from "@cloudflare/vite-plugin";',
      'import { defineConfig } from "vite";',
      'import { workerRun } from "vite-plugin-worker-run";',
      "",
      "export default defineConfig({",
      "  plugins: [cloudflare({ inspectorPort: false }), workerRun()],",
      "});",
      "",
    ].join("\n");
    expect(withoutWorkerRun(config)).toBe(
      [
        'import { cloudflare } from "@cloudflare/vite-plugin";',
        'import { defineConfig } from "vite";',
        "",
        "export default defineConfig({",
        "  plugins: [cloudflare({ inspectorPort: false })],",
        "});",
        "",
      ].join("\n"),
    );
    expect(withoutWorkerRun("plugins: [workerRun(), cloudflare()]")).toBe("plugins: [cloudflare()]");
    expect(usesWorkerRun("// no workerRun() here\nplugins: [cloudflare()]")).toBe(false);
    expect(usesWorkerRun("/* workerRun() */ plugins: [cloudflare(), workerRun()]")).toBe(true);
    expect(() => withoutWorkerRun("plugins: [cloudflare(), workerRun({ allowNetwork: true })]")).toThrow(
      /still mentions it/,
    );
  });
});

/** A build's output with its timings ("in 36ms") masked, for comparing two runs. */
function withoutTimings(output: string): string {
  return output.replace(/\d+(\.\d+)?\s*m?s\b/g, "<time>");
}
