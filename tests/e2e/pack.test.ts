// The package as npm ships it: `npm pack` of the built repository holds the built code and
// nothing else, and a project outside the repository that installs the tarball can run a
// script with the installed `worker-run`. That project's path contains a space, as many
// users' do ("My Projects"): paths must be derived from module URLs with `fileURLToPath`,
// never `URL.pathname` (which keeps `%20`).
import { existsSync } from "node:fs";
import { cp, lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { packRepository } from "../helpers/pack.js";
import { EXAMPLES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { describeRun, spawnCaptured, type CliResult } from "../helpers/run-cli.js";

/** What the published package must contain (paths inside the tarball's `package/`). */
const SHIPPED = [
  "package.json",
  "bin/worker-run.js",
  "dist/index.js",
  "dist/index.d.ts",
  "dist/cli.js",
  "dist/plugin/plugin.d.ts",
  "dist/launcher/run-script.d.ts",
  "dist/runtime/worker.js",
  "dist/runtime/script.js",
  "dist/runtime/script.d.ts",
  "dist/runtime/d1.js",
  "dist/runtime/d1.d.ts",
];

/** The worker side's shipped files; the modules worker.js bundles are not among them (d1-apply.d.ts: the error class d1.d.ts re-exports). */
const RUNTIME_FILES = [
  "dist/runtime/worker.js",
  "dist/runtime/script.js",
  "dist/runtime/script.d.ts",
  "dist/runtime/d1.js",
  "dist/runtime/d1.d.ts",
  "dist/runtime/d1-apply.d.ts",
];

/** Runs a command to the end, output captured. npm's own `npm_*` variables are dropped, so an
 * `npm test` run does not point the inner npm at the repository. */
function run(command: string, args: string[], cwd: string): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return spawnCaptured(command, args, { cwd, env: { ...env, NO_COLOR: "1" } }).exited;
}

describe("the packed package", () => {
  let tempDir: string;
  let tarball: string;
  /** The project that installs the tarball (by the second test). */
  let app: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "worker run pack-"));
    tarball = await packRepository(tempDir);
    app = path.join(tempDir, "d1 seed");
  });

  afterAll(async () => {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  test("holds the built code, the bin and the types, and no sources, tests, examples or build info", async () => {
    const listed = await run("tar", ["-tzf", tarball], tempDir);
    expect(listed.code, describeRun(listed)).toBe(0);
    const files = listed.stdout
      .split("\n")
      .filter(Boolean)
      .map((entry) => entry.replace(/^package\//, ""));

    expect(files).toEqual(expect.arrayContaining(SHIPPED));
    const unwanted = files.filter(
      (file) =>
        /^(tests|examples|launcher|plugin|common|runtime|shared|bench|node_modules)\//.test(file) ||
        // The worker side ships as the one bundled worker.js, plus defineScript, applyD1Migrations and their types.
        (/^dist\/runtime\//.test(file) && !RUNTIME_FILES.includes(file)) ||
        /\.tsbuildinfo$/.test(file) ||
        // The Node side ships as bundles directly in dist/; below it only declarations.
        (/^dist\/.+\/.+\.js$/.test(file) && !RUNTIME_FILES.includes(file)) ||
        (/\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file)),
    );
    expect(unwanted).toEqual([]);
  });

  test("a project outside the repository installs the tarball and runs its seed with the installed bin", async () => {
    expect(app).toContain(" ");
    await cp(path.join(EXAMPLES_DIR, "d1-seed"), app, {
      recursive: true,
      filter: (file) => ![".wrangler", "node_modules", "dist", ".vite"].includes(path.basename(file)),
    });
    const manifestPath = path.join(app, "package.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { dependencies: Record<string, string> };
    manifest.dependencies["vite-plugin-worker-run"] = `file:${tarball}`;
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));

    const started = performance.now();
    const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], app);
    // Reported, not asserted: the install uses the npm cache the repository's install warmed.
    console.info(`npm install of the packed package took ${Math.round(performance.now() - started)} ms`);
    expect(installed.code, describeRun(installed)).toBe(0);
    // Unpacked from the tarball, not linked back to the repository.
    expect((await lstat(path.join(app, "node_modules/vite-plugin-worker-run"))).isSymbolicLink()).toBe(false);

    const seeded = await run(
      process.execPath,
      [path.join(app, "node_modules/.bin/worker-run"), "src/scripts/seed.ts", "5"],
      app,
    );
    expect(seeded.code, describeRun(seeded)).toBe(0);
    expect(seeded.stdout, describeRun(seeded)).toBe(
      `Inserted 5 notes.\n${JSON.stringify({ inserted: 5, total: 5 }, null, 2)}\n`,
    );
    expect(seeded.stderr, describeRun(seeded)).toContain("✔ src/scripts/seed.ts finished");
  }, 300_000);

  test("the installed `worker-run --version` prints the package's version, under a path with a space", async () => {
    const bin = path.join(app, "node_modules/.bin/worker-run");
    expect(existsSync(bin), `${bin} is installed by the test before`).toBe(true);
    const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const result = await run(process.execPath, [bin, "--version"], app);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(`${version}\n`);
    expect(result.stderr, describeRun(result)).toBe("");
  });
});
