/**
 * The benchmark's projects: throw-away copies of examples/d1-seed (a worker and nothing
 * else) and of bench/fixtures/client-heavy (a React + Tailwind client with the worker as
 * its API, in the shape of Cloudflare's full-stack React template), each with the few files
 * the measurements need (a one-query script, a config without workerRun(), the floor
 * program, a probe of a Node process's own max RSS and CPU time). Copied with
 * tests/helpers/temp-project.ts into <repo>/.tmp/, so that module resolution still finds the
 * repository's node_modules.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../../tests/helpers/paths.js";
import { copyProject } from "../../tests/helpers/temp-project.js";
import { withoutWorkerRun } from "../../tests/helpers/vite-config.js";

/** Paths inside a copy, relative to it, as the measured commands name them. */
export const FILES = {
  script: "src/scripts/bench-query.ts",
  /** 200,000 steps, with (`bench-steps progress`) or without (`bench-steps quiet`) a progress call on each. */
  steps: "src/scripts/bench-steps.ts",
  floorConfig: "vite.config.floor.mts",
  floorProgram: "floor.mjs",
  probe: "probe.mjs",
} as const;

/** A project the bench measures. */
export interface ProjectSpec {
  name: string;
  /** Relative to the repository root. */
  source: string;
  /** Whether the bench writes its one-query script into the copy (the project has none). */
  writeScript: boolean;
  floorPath: string;
  floorAnswer: string;
  coldWallLimit: number;
}

/** A copy of a project, with the bench's files added. */
export interface BenchProject extends ProjectSpec {
  dir: string;
  remove(): Promise<void>;
}

/**
 * The projects measured. `floorPath` is a request the worker answers (not Vite, not the
 * assets), `floorAnswer` a piece of the worker's answer to it, checked on every floor run.
 * `coldWallLimit`: the target for cold / floor wall time (medians). The launcher's server
 * skips what a one-shot run does not use (browser HMR WebSocket, file watcher, client
 * dependency discovery), which on an app with a real client side should put it below the
 * floor; on a worker without one there is little to skip.
 */
export const PROJECTS: ProjectSpec[] = [
  {
    name: "d1-seed",
    source: "examples/d1-seed",
    writeScript: true, // The example has no bench script of its own.
    floorPath: "/",
    floorAnswer: "d1-seed example",
    coldWallLimit: 1.02,
  },
  {
    name: "client-heavy",
    source: "bench/fixtures/client-heavy",
    writeScript: false, // The fixture carries src/scripts/bench-query.ts.
    // GET / is index.html, served by Vite; /api/ is the worker's, as in the template.
    floorPath: "/api/",
    floorAnswer: '"name":"Cloudflare"',
    coldWallLimit: 0.9,
  },
];

// One D1 round trip and nothing else, so the launcher's own cost dominates.
const SCRIPT = `/** One D1 query, for bench/run.ts. */
import { defineScript } from "vite-plugin-worker-run/script";

export default defineScript<Env>(async ({ env }) => env.DB.prepare("SELECT 1 AS one").first());
`;

// A seed's shape without the database: 200,000 steps of a little work (a row built and
// serialised), a timer turn every 1,000 (as awaited I/O would give, so the worker's clock moves
// and progress updates really go out). The same module with and without the progress calls.
const STEPS_SCRIPT = `/** 200,000 steps, for bench/run.ts: \`bench-steps progress\` reports each one, \`bench-steps quiet\` none. */
import { defineScript } from "vite-plugin-worker-run/script";

const TOTAL = 200_000;

export default defineScript(async ({ args, progress }) => {
  const report = args[0] === "progress";
  let checksum = 0;
  for (let step = 1; step <= TOTAL; step++) {
    checksum = (checksum + JSON.stringify({ id: step, title: \`Note \${step}\`, done: step % 2 === 0 }).length) % 1_000_003;
    if (report) progress(step, TOTAL, "rows");
    if (step % 1_000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return { steps: TOTAL, checksum };
});
`;

// The least a tool could do to touch the worker: start the same dev server (without
// workerRun()) the way the launcher does, one request into workerd, close, exit. The answer
// is checked to be the worker's, not Vite's or an asset.
const floorProgram = ({ floorPath, floorAnswer }: ProjectSpec): string => `import http from "node:http";
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
  const url = new URL(${JSON.stringify(floorPath)}, server.resolvedUrls.local[0]);
  const { status, body } = await new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body })).on("error", reject);
    }).on("error", reject);
  });
  if (status !== 200 || !body.includes(${JSON.stringify(floorAnswer)})) {
    throw new Error(\`Expected the worker's 200 for \${url}, got \${status}: \${body.slice(0, 200)}\`);
  }
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
 * The project's config minus workerRun(). Vite keys its dependency cache on the plugin
 * names, so the floor gets its own cacheDir: with a shared one, alternating floor and
 * launcher runs would make each invalidate the other's cache, which no user ever sees.
 */
async function floorConfig(project: ProjectSpec): Promise<string> {
  const configPath = `${project.source}/vite.config.mts`;
  const original = await readFile(path.join(REPO_ROOT, configPath), "utf8");
  const config = withoutWorkerRun(original, configPath).replace(
    "export default defineConfig({",
    `export default defineConfig({\n  cacheDir: "node_modules/.vite-floor",`,
  );
  if (!config.includes("cacheDir")) {
    throw new Error(`Expected to derive ${FILES.floorConfig} from ${configPath}; its shape changed.`);
  }
  return config;
}

/** Copies the project to <repo>/.tmp/bench-<name>-<random> and adds the bench's files. */
export async function createBenchProject(project: ProjectSpec): Promise<BenchProject> {
  const { dir, remove } = await copyProject(path.join(REPO_ROOT, project.source), `bench-${project.name}`);
  try {
    if (project.writeScript) await writeFile(path.join(dir, FILES.script), SCRIPT);
    await readFile(path.join(dir, FILES.script)); // Throws when a fixture lost its script.
    await writeFile(path.join(dir, FILES.steps), STEPS_SCRIPT);
    await writeFile(path.join(dir, FILES.floorConfig), await floorConfig(project));
    await writeFile(path.join(dir, FILES.floorProgram), floorProgram(project));
    await writeFile(path.join(dir, FILES.probe), PROBE);
  } catch (error) {
    await remove();
    throw error;
  }
  return { ...project, dir, remove };
}
