/**
 * The benchmark's project: a throw-away copy of examples/d1-seed with the few files the
 * measurements need (a one-query script, a config without workerRun(), the floor program,
 * a probe of a Node process's own max RSS and CPU time). Copied like
 * tests/helpers/temp-project.ts does, into <repo>/.tmp/, so that module resolution still
 * finds the repository's node_modules.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is bench/lib/project.mjs). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = path.join(REPO_ROOT, "examples/d1-seed");
const SKIPPED = new Set(["node_modules", ".wrangler", "dist", ".vite"]);

/** Paths inside the copy, relative to it, as the measured commands name them. */
export const FILES = {
  script: "src/scripts/bench-query.ts",
  floorConfig: "vite.config.floor.mts",
  floorProgram: "floor.mjs",
  probe: "probe.mjs",
};

// One D1 round trip and nothing else, so the launcher's own cost dominates.
const SCRIPT = `/** One D1 query, for bench/run.mjs. */
import { defineScript } from "vite-plugin-worker-run/script";

export default defineScript<Env>(async ({ env }) => env.DB.prepare("SELECT 1 AS one").first());
`;

// The least a tool could do to touch the worker: start the same dev server (without
// workerRun()) the way the launcher does, one request into workerd, close, exit.
const FLOOR_PROGRAM = `import http from "node:http";
import { createServer } from "vite";

const server = await createServer({
  root: import.meta.dirname,
  configFile: ${JSON.stringify(FILES.floorConfig)},
  logLevel: "warn",
  clearScreen: false,
  server: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
});
try {
  await server.listen();
  const status = await new Promise((resolve, reject) => {
    http.get(server.resolvedUrls.local[0], { agent: false }, (response) => {
      response.resume().on("end", () => resolve(response.statusCode)).on("error", reject);
    }).on("error", reject);
  });
  if (status !== 200) throw new Error(\`Expected 200 from the worker, got \${status}.\`);
} finally {
  await server.close();
}
process.exit(0);
`;

// Loaded with --import: writes this process's own peak RSS (getrusage RUSAGE_SELF, KiB on
// Linux) and CPU time (µs) at exit. Unlike /usr/bin/time's %M, it never counts reaped
// children (workerd). CPU time suffers less than wall time from load elsewhere on the machine.
const PROBE = `import { writeFileSync } from "node:fs";

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  process.on("exit", () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRSS, cpuMicros: userCPUTime + systemCPUTime }));
  });
}
`;

/**
 * The example's config minus workerRun(). Vite keys its dependency cache on the plugin
 * names, so the floor gets its own cacheDir: with a shared one, alternating floor and
 * launcher runs would make each invalidate the other's cache, which no user ever sees.
 */
async function floorConfig() {
  const original = await readFile(path.join(EXAMPLE, "vite.config.mts"), "utf8");
  const config = original
    .replace(/^import \{ workerRun \} from "vite-plugin-worker-run";\n/m, "")
    .replace(/,\s*workerRun\(\)/, "")
    .replace("export default defineConfig({", `export default defineConfig({\n  cacheDir: "node_modules/.vite-floor",`);
  if (config.includes("workerRun") || !config.includes("cacheDir")) {
    throw new Error(`Expected to derive ${FILES.floorConfig} from examples/d1-seed/vite.config.mts; its shape changed.`);
  }
  return config;
}

/** Copies the example to <repo>/.tmp/bench-<random> and adds the bench's files. */
export async function createBenchProject() {
  const parent = path.join(REPO_ROOT, ".tmp");
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, "bench-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(EXAMPLE, dir, { recursive: true, filter: (file) => !SKIPPED.has(path.basename(file)) });
    await writeFile(path.join(dir, FILES.script), SCRIPT);
    await writeFile(path.join(dir, FILES.floorConfig), await floorConfig());
    await writeFile(path.join(dir, FILES.floorProgram), FLOOR_PROGRAM);
    await writeFile(path.join(dir, FILES.probe), PROBE);
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}
