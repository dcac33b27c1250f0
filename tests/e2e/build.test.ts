// "vite build: the plugin does nothing". workerRun()'s `apply` keeps the whole plugin (every
// hook, applyToEnvironment and configEnvironment included) out of `vite build` and `vite
// preview`, so what a build writes cannot depend on the project's entry shape or bindings:
// one real example (examples/d1-seed) is built with its config as it is and with workerRun()
// taken out, and the two builds must write byte-identical files, none of which mentions
// worker-run. Both builds run in the same copy, one after the other, so absolute paths that
// the Cloudflare plugin writes into its output (its wrangler.json) are the same.
//
// No other example or fixture is built: a second project would run the same gate again (two
// builds, ~3 s) and check nothing the gate test below does not. A project that cannot build
// (tests/fixtures/no-cloudflare) is kept, because its builds fail in well under a second.
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { ConfigEnv } from "vite";
import { workerRun } from "../../plugin/plugin.js";
import { EXAMPLES_DIR, FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { copyProject } from "../helpers/temp-project.js";
import { BUILD_TIMEOUT_MS, killViteBuilds, viteBuild, type BuildResult } from "../helpers/vite-build.js";
import { usesWorkerRun, withoutWorkerRun } from "../helpers/vite-config.js";

const CONFIG = "vite.config.mts";

/** The real example that is built twice. */
const EXAMPLE = path.join(EXAMPLES_DIR, "d1-seed");

/**
 * A project that exists to be refused, with nothing a build could produce: both of its builds
 * must fail for this reason, say the same, and write nothing.
 */
const UNBUILDABLE = {
  dir: path.join(FIXTURES_DIR, "no-cloudflare"),
  reason: "no cloudflare() and no index.html: there is no entry to build",
  error: /Cannot resolve entry module index\.html/,
};

/** Builds still running, stopped after each test even if it failed or timed out. */
afterEach(killViteBuilds);

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

/** Both builds of a copy of `source`, with workerRun() and without, and what each wrote. */
interface BuildPair {
  dir: string;
  withPlugin: BuildResult & { files: Map<string, string> };
  withoutPlugin: BuildResult & { files: Map<string, string> };
  /** Both builds' output, for assertion messages. */
  log: string;
  remove(): Promise<void>;
}

async function buildTwice(source: string): Promise<BuildPair> {
  const project = path.relative(REPO_ROOT, source);
  const configText = await readFile(path.join(source, CONFIG), "utf8").catch(() => {
    throw new Error(`${project} has no ${CONFIG}.`);
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
    return {
      dir: temp.dir,
      withPlugin: { ...first, files: withPlugin },
      withoutPlugin: { ...second, files: withoutPlugin },
      log,
      remove: temp.remove,
    };
  } catch (error) {
    await temp.remove();
    throw error;
  }
}

describe("vite build is the same with and without workerRun()", () => {
  test(
    "examples/d1-seed: byte-identical output, none of it mentions worker-run",
    async () => {
      const pair = await buildTwice(EXAMPLE);
      try {
        const { withPlugin, withoutPlugin, log } = pair;
        expect(withPlugin.code, `examples/d1-seed does not build with workerRun():\n${log}`).toBe(0);
        expect(withoutPlugin.code, `examples/d1-seed does not build without workerRun():\n${log}`).toBe(0);
        expect(
          [...withPlugin.files.keys()].some((file) => file.endsWith(".js")),
          `the build wrote no JavaScript:\n${[...withPlugin.files.keys()].join("\n")}\n${log}`,
        ).toBe(true);
        expect(compareTrees(withPlugin.files, withoutPlugin.files), log).toEqual([]);
        expect(await filesMentioningWorkerRun(pair.dir, withPlugin.files.keys()), log).toEqual([]);
      } finally {
        await pair.remove();
      }
    },
    4 * BUILD_TIMEOUT_MS,
  );

  test(
    "tests/fixtures/no-cloudflare, which cannot build: both builds fail alike and write nothing",
    async () => {
      const pair = await buildTwice(UNBUILDABLE.dir);
      try {
        const { withPlugin, withoutPlugin, log } = pair;
        const expected = `tests/fixtures/no-cloudflare was expected not to build (${UNBUILDABLE.reason}):\n${log}`;
        expect(withPlugin.code !== 0 && withoutPlugin.code !== 0, expected).toBe(true);
        expect(withPlugin.output, expected).toMatch(UNBUILDABLE.error);
        expect(withoutTimings(withPlugin.output), log).toBe(withoutTimings(withoutPlugin.output));
        expect([...withPlugin.files.keys(), ...withoutPlugin.files.keys()], log).toEqual([]);
      } finally {
        await pair.remove();
      }
    },
    4 * BUILD_TIMEOUT_MS,
  );

  test("the plugin applies to `vite dev` only: not to `vite build`, not to `vite preview`", () => {
    // Decided as Vite decides it (a function of the command, or the command's name).
    const { apply } = workerRun();
    const applies = (env: Omit<ConfigEnv, "mode">): boolean => {
      const full: ConfigEnv = { mode: env.command === "build" || env.isPreview ? "production" : "development", ...env };
      if (typeof apply === "function") return apply({ mode: full.mode }, full);
      return apply === undefined || apply === env.command;
    };
    expect(applies({ command: "build" }), "vite build").toBe(false);
    expect(applies({ command: "build", isSsrBuild: true }), "vite build --ssr").toBe(false);
    expect(applies({ command: "serve", isPreview: true }), "vite preview").toBe(false);
    expect(applies({ command: "serve" }), "vite dev").toBe(true);
    expect(applies({ command: "serve", isPreview: false }), "vite dev").toBe(true);
  });

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
