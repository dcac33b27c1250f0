/**
 * npm run bench [-- --runs 9 --attached-runs 30 --app-requests 500]
 * (that is: node --import ./bench/lib/resolve-ts.ts bench/run.ts …; Node strips the types)
 *
 * What worker-run costs, side by side with the least a tool could do, on two projects:
 * examples/d1-seed (a worker and nothing else) and bench/fixtures/client-heavy (a React +
 * Tailwind client with the worker as its API, the shape of Cloudflare's full-stack React
 * template). Not a test: it prints a table, writes the numbers to bench/results/, and marks
 * each target PASS or MISS; it fails only when something it runs fails.
 *
 * - floor: a Node program that starts the project's dev server without workerRun(),
 *   sends one request into the worker, closes and exits; cold: `worker-run --no-attach`
 *   running a one-query script; default: the same without --no-attach, as users type it (it
 *   looks for a running server's discovery record, takes the start lock and makes its server
 *   discoverable while it runs); uncached: cold with Node's compile cache off (the launcher
 *   turns it on; the floor, a plain program, does not), to show what that part is worth. All
 *   four on both projects alternated, each with wall time and peak RSS.
 * - attached (d1-seed): the same script run in a `vite dev` already running: one launcher
 *   process, and runScript() called in this process.
 * - progress (d1-seed): a 200,000-step script attached, with and without a progress() call on
 *   each step, alternated: what reporting progress costs a run.
 * - overhead (d1-seed): plain GET / latency of a `vite dev` with and without workerRun().
 *
 * Every process it starts is in its own process group and stopped at the end, also on
 * error and on Ctrl-C.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { ViteDevProcess } from "../tests/helpers/vite-dev-process.js";
import { BIN, REPO_ROOT } from "../tests/helpers/paths.js";
import { alternatingLatencies, expectSuccess, measureProcess, type Measurement } from "./lib/measure.js";
import { createBenchProject, FILES, PROJECTS, type BenchProject } from "./lib/project.js";
import { SAMPLE_INTERVAL_MS, startViteDev, stopAll } from "./lib/processes.js";
import {
  buildTargets,
  formatReport,
  judge,
  summarize,
  type BenchOptions,
  type ColdKind,
  type CommandSummary,
  type Machine,
  type Results,
  type ServedSamples,
  type StoredRun,
  type Summary,
} from "./lib/report.js";

/** What a `runScript()` call resolves to, as far as the bench looks at it. */
interface RunOutcome {
  ok: boolean;
  result?: { one?: unknown };
}
type RunScript = (options: {
  script: string;
  cwd: string;
  root: string;
  output: { stdout(text: string): void; stderr(text: string): void };
  onStatus: (status: string) => void;
}) => Promise<RunOutcome>;

/** Per project, per command (floor, cold, default): the measured runs. */
type ColdRuns = Record<string, Record<string, Measurement[]>>;
const RESULTS_DIR = path.join(REPO_ROOT, "bench/results");
const ATTACHED = "Running in the dev server at";
/** What the launcher says when it starts its own server, so only cold runs are timed as cold. */
const STARTING = "Starting the dev server";
/** The project the attached and app-overhead phases run on. */
const SERVED_PROJECT = "d1-seed";
/** The cold paths measured against the floor: how each is started, and its label. */
const COLD_KINDS: (ColdKind & { args: string[]; env?: Record<string, string> })[] = [
  { key: "cold", args: ["--no-attach"], label: "worker-run --no-attach", short: "--no-attach", judged: true },
  { key: "default", args: [], label: "worker-run (default: lock + discovery)", short: "default", judged: true },
  // The launcher turns Node's compile cache on, as Vite's CLI does; the floor, a plain program,
  // does not. Without it, what is left is what the launcher's own server skips.
  {
    key: "uncached",
    args: ["--no-attach"],
    env: { NODE_DISABLE_COMPILE_CACHE: "1" },
    label: "worker-run --no-attach without Node's compile cache",
    short: "--no-attach, no compile cache",
    judged: false,
  },
];
/** What the launcher prints for the script's `{ one: 1 }`, so only real runs are timed. */
const RESULT = "one";
const DISCARD = { stdout() {}, stderr() {} };

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "9" },
      "attached-runs": { type: "string", default: "30" },
      "app-requests": { type: "string", default: "500" },
      "progress-runs": { type: "string", default: "15" },
    },
  });
  const count = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`Expected --${name} to be a positive whole number, got ${JSON.stringify(values[name])}.`);
    }
    return value;
  };
  const options = {
    runs: count("runs"),
    attachedRuns: count("attached-runs"),
    appRequests: count("app-requests"),
    progressRuns: count("progress-runs"),
    batchSize: 50,
    appWarmup: 250,
    warmups: 3,
    sampleMs: SAMPLE_INTERVAL_MS,
  };
  if (options.appRequests % options.batchSize) {
    throw new Error(`Expected --app-requests to be a multiple of ${options.batchSize}, got ${options.appRequests}.`);
  }
  return options;
}

function describeMachine(): Omit<Machine, "loadAverageEnd"> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageStart: os.loadavg()[0]!,
    distBuilt: distBuilt(),
  };
}

/** When the measured build was made: others may rebuild dist/ between two runs of the bench. */
function distBuilt(): string {
  try {
    return statSync(path.join(REPO_ROOT, "dist/cli.js")).mtime.toISOString();
  } catch {
    throw new Error("No dist/cli.js: run `npm run build` before the bench.");
  }
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * floor, cold and default on every project, one warm-up each (Vite's dependency cache, D1's
 * local state), then alternated with the order flipping every round (projects and
 * commands), so drift and load from elsewhere on the machine fall on all alike.
 */
async function measureColdAgainstFloor(projects: BenchProject[], { runs }: BenchOptions): Promise<ColdRuns> {
  const commandsOf = ({ dir }: BenchProject): Record<string, () => Promise<Measurement>> => ({
    floor: () => measureProcess(dir, [FILES.floorProgram], { resources: true, check: expectSuccess("floor") }),
    ...Object.fromEntries(
      COLD_KINDS.map(({ key, args, env, label }) => [
        key,
        () =>
          measureProcess(dir, [BIN, ...args, FILES.script], {
            resources: true,
            env,
            check: expectSuccess(label, { stdoutIncludes: RESULT, stderrIncludes: STARTING, stderrExcludes: ATTACHED }),
          }),
      ]),
    ),
  });
  const steps = projects.flatMap((project) =>
    Object.entries(commandsOf(project)).map(([command, run]) => ({ project: project.name, command, run })),
  );
  progress(`warm-up: ${steps.map(({ project, command }) => `${project} ${command}`).join(", ")}`);
  for (const step of steps) await step.run();
  const measured: ColdRuns = Object.fromEntries(
    projects.map(({ name }) => [name, { floor: [], ...Object.fromEntries(COLD_KINDS.map(({ key }) => [key, []])) }]),
  );
  for (let round = 0; round < runs; round++) {
    for (const step of round % 2 === 0 ? steps : [...steps].reverse()) {
      measured[step.project]![step.command]!.push(await step.run());
    }
    const last = (project: string): string =>
      `${project} ${Object.entries(measured[project]!)
        .map(([command, list]) => `${command} ${list.at(-1)!.wallMs.toFixed(0)}`)
        .join("/")} ms`;
    progress(`round ${round + 1}/${runs}: ${projects.map(({ name }) => last(name)).join("; ")}`);
  }
  return measured;
}

/** Plain GET / latency against both servers, keep-alive, warmed up first. */
async function measureAppOverhead(servers: ViteDevProcess[], options: BenchOptions): Promise<number[][]> {
  const { appRequests, batchSize } = options;
  const targets = servers.map(({ url }) => ({ url, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }));
  try {
    // Both servers get JIT-warm first: in a trial with 50 warm-up requests, the next 500
    // were about 30% slower than the 1000 after them.
    progress(`app: ${options.appWarmup} warm-up requests each, then ${appRequests} each in alternating batches`);
    await alternatingLatencies(targets, { batches: options.appWarmup / batchSize, batchSize });
    return await alternatingLatencies(targets, { batches: appRequests / batchSize, batchSize });
  } finally {
    for (const target of targets) target.agent.destroy();
  }
}

/** One `worker-run` process per run against the running server; each must say it attached. */
async function measureAttachedProcess(dir: string, { attachedRuns, warmups }: BenchOptions): Promise<number[]> {
  const run = () =>
    measureProcess(dir, [BIN, FILES.script], {
      check: expectSuccess("attached worker-run", { stdoutIncludes: RESULT, stderrIncludes: ATTACHED }),
    });
  progress(`attached worker-run: ${warmups} warm-ups, ${attachedRuns} runs`);
  for (let index = 0; index < warmups; index++) await run();
  const wallMs: number[] = [];
  for (let index = 0; index < attachedRuns; index++) wallMs.push((await run()).wallMs);
  return wallMs;
}

/** runScript() in this process against the running server; the first calls load its modules. */
async function measureInProcess(dir: string, { attachedRuns, warmups }: BenchOptions): Promise<number[]> {
  const { runScript } = (await import(pathToFileURL(path.join(REPO_ROOT, "dist/index.js")).href)) as { runScript: RunScript };
  const once = async (): Promise<number> => {
    const statuses: string[] = [];
    const started = performance.now();
    const outcome = await runScript({
      script: FILES.script,
      cwd: dir,
      root: dir,
      output: DISCARD,
      onStatus: (status) => statuses.push(status),
    });
    const elapsed = performance.now() - started;
    if (!outcome.ok || outcome.result?.one !== 1 || !statuses.some((status) => status.includes(ATTACHED))) {
      throw new Error(`runScript() did not run attached: ${JSON.stringify({ outcome, statuses })}`);
    }
    return elapsed;
  };
  progress(`in-process runScript(): ${warmups} warm-ups, ${attachedRuns} calls`);
  for (let index = 0; index < warmups; index++) await once();
  const elapsed: number[] = [];
  for (let index = 0; index < attachedRuns; index++) elapsed.push(await once());
  return elapsed;
}

/**
 * One console session attached to the running server, its stdin a pipe: each entry (a
 * trivial expression) is written when the previous result has printed; the time from the
 * write to its printed result is one round trip.
 */
async function measureConsole(dir: string, { attachedRuns, warmups }: BenchOptions): Promise<number[]> {
  progress(`console entries: ${warmups} warm-ups, ${attachedRuns} entries`);
  const child = spawn(process.execPath, [BIN, "--console"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const entry = async (index: number): Promise<number> => {
    const expected = `${index * 2}\n`;
    const before = stdout.length;
    const started = performance.now();
    child.stdin.write(`${index} * 2\n`);
    const deadline = Date.now() + 30_000;
    while (!stdout.slice(before).includes(expected)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`The console did not answer ${index} * 2:\n${stdout}\n${stderr}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return performance.now() - started;
  };
  try {
    for (let index = 0; index < warmups; index++) await entry(index + 1);
    const elapsed: number[] = [];
    for (let index = 0; index < attachedRuns; index++) elapsed.push(await entry(index + 100));
    if (!stderr.includes(ATTACHED)) throw new Error(`The console did not attach:\n${stderr}`);
    return elapsed;
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once("close", resolve)));
  }
}

/**
 * The 200,000-step script attached, with and without progress calls, alternating (order flipped
 * every round): process wall time, and the run's own duration from the summary line.
 */
async function measureProgressCost(dir: string, { progressRuns, warmups }: BenchOptions): Promise<Pick<ServedSamples, "stepsQuiet" | "stepsProgress" | "stepsQuietRun" | "stepsProgressRun">> {
  const run = async (mode: "quiet" | "progress"): Promise<{ wallMs: number; runMs: number }> => {
    const measured = await measureProcess(dir, [BIN, FILES.steps, mode], {
      check: expectSuccess(`bench-steps ${mode}`, { stdoutIncludes: '"steps": 200000', stderrIncludes: ATTACHED }),
    });
    const runMs = /finished in (\d+) ms/.exec(measured.result.stderr)?.[1];
    if (runMs === undefined) throw new Error(`bench-steps ${mode}: no "finished in N ms" on stderr:\n${measured.result.stderr}`);
    return { wallMs: measured.wallMs, runMs: Number(runMs) };
  };
  progress(`progress: ${warmups} warm-ups, then ${progressRuns} runs of bench-steps each way, alternating`);
  for (let index = 0; index < warmups; index++) await run(index % 2 ? "quiet" : "progress");
  const samples = { stepsQuiet: [] as number[], stepsProgress: [] as number[], stepsQuietRun: [] as number[], stepsProgressRun: [] as number[] };
  for (let round = 0; round < progressRuns; round++) {
    for (const mode of round % 2 ? (["progress", "quiet"] as const) : (["quiet", "progress"] as const)) {
      const { wallMs, runMs } = await run(mode);
      if (mode === "quiet") {
        samples.stepsQuiet.push(wallMs);
        samples.stepsQuietRun.push(runMs);
      } else {
        samples.stepsProgress.push(wallMs);
        samples.stepsProgressRun.push(runMs);
      }
    }
  }
  return samples;
}

/** The server phases: overhead with both servers up, then attach against the one with workerRun(). */
async function measureWithServers(dir: string, options: BenchOptions): Promise<ServedSamples> {
  progress("starting vite dev with workerRun(), then twice without (the second one measures the noise)");
  const withPlugin = await startViteDev(dir);
  const withoutPlugin = await startViteDev(dir, FILES.floorConfig);
  const control = await startViteDev(dir, FILES.floorConfig);
  const [appWith, appWithout, appControl] = (await measureAppOverhead([withPlugin, withoutPlugin, control], options)) as [
    number[],
    number[],
    number[],
  ];
  await control.stop();
  await withoutPlugin.stop();
  const attachedProcess = await measureAttachedProcess(dir, options);
  const inProcess = await measureInProcess(dir, options);
  const consoleEntry = await measureConsole(dir, options);
  const steps = await measureProgressCost(dir, options);
  await withPlugin.stop();
  return { appWith, appWithout, appControl, attachedProcess, inProcess, consoleEntry, ...steps };
}

/** Per project: wall, tree peak RSS, Node's own max RSS and CPU of floor, cold and default. */
function summarizeColdRuns(measured: ColdRuns): Record<string, Record<string, CommandSummary>> {
  const field = (runs: Measurement[], key: "wallMs" | "treePeakBytes" | "nodeMaxRssBytes" | "nodeCpuMs"): Summary =>
    summarize(runs.map((run) => run[key] ?? Number.NaN));
  return Object.fromEntries(
    Object.entries(measured).map(([project, byCommand]) => [
      project,
      Object.fromEntries(
        Object.entries(byCommand).map(([command, runs]) => [
          command,
          {
            wall: field(runs, "wallMs"),
            treeRss: field(runs, "treePeakBytes"),
            nodeRss: field(runs, "nodeMaxRssBytes"),
            nodeCpu: field(runs, "nodeCpuMs"),
          },
        ]),
      ),
    ]),
  );
}

function summarizeServed(served: ServedSamples): Results["summaries"]["served"] {
  return {
    attachedProcess: summarize(served.attachedProcess),
    inProcess: summarize(served.inProcess),
    consoleEntry: summarize(served.consoleEntry),
    stepsQuiet: summarize(served.stepsQuiet),
    stepsProgress: summarize(served.stepsProgress),
    stepsQuietRun: summarize(served.stepsQuietRun),
    stepsProgressRun: summarize(served.stepsProgressRun),
    appWith: summarize(served.appWith),
    appWithout: summarize(served.appWithout),
    appControl: summarize(served.appControl),
  };
}

/** The values the targets judge: cold / floor ratios per project and cold path, and the served ones. */
function targetValues(cold: Results["summaries"]["cold"], served: Results["summaries"]["served"]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [project, s] of Object.entries(cold)) {
    for (const { key } of COLD_KINDS) {
      values[`${project}.${key}.wall`] = s[key]!.wall.median / s.floor!.wall.median;
      values[`${project}.${key}.treeRss`] = s[key]!.treeRss.median / s.floor!.treeRss.median;
    }
  }
  values.attachedProcessMs = served.attachedProcess.median;
  values.inProcessMs = served.inProcess.median;
  values.consoleOverInProcess = served.consoleEntry.median / served.inProcess.median;
  values.appWithOverWithout = served.appWith.median / served.appWithout.median;
  values.progressOverQuiet = served.stepsProgress.median / served.stepsQuiet.median;
  return values;
}

/** The runs as stored: numbers only, not the processes' output. */
function storedRuns(runs: Measurement[]): StoredRun[] {
  // Every cold-phase run is measured with `resources`, so each has all the fields.
  return runs.map(({ wallMs, treePeakBytes, treePeakProcesses, nodeMaxRssBytes, nodeCpuMs }) => ({
    wallMs,
    treePeakBytes: treePeakBytes!,
    treePeakProcesses: treePeakProcesses!,
    nodeMaxRssBytes: nodeMaxRssBytes!,
    nodeCpuMs: nodeCpuMs!,
  }));
}

async function writeResults(results: Results): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  // ISO 8601 with the colons swapped for hyphens, so the name is valid on every file system.
  const file = path.join(RESULTS_DIR, `${results.date.replaceAll(":", "-")}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/**
 * Stops what the bench started and removes the copies, once, whichever way the bench ends
 * (finished, failed, Ctrl-C). The copies are read when cleaning, as they may not exist yet.
 */
function cleanupOnce(getProjects: () => BenchProject[]): () => Promise<unknown> {
  let done: Promise<unknown> | undefined;
  return () => (done ??= stopAll().finally(() => Promise.all(getProjects().map((project) => project.remove()))));
}

/** Ctrl-C and SIGTERM clean up, then exit with the usual codes. */
function onTermination(cleanup: () => Promise<unknown>): void {
  const handle = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping everything the bench started`);
    cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", handle);
  process.once("SIGTERM", handle);
}

async function main(): Promise<void> {
  const started = performance.now();
  if (process.platform !== "linux") throw new Error("The bench reads process trees and RSS from /proc, so it runs on Linux only.");
  const options = parseOptions();
  const machine = describeMachine();
  const date = new Date().toISOString();
  const projects: BenchProject[] = [];
  const cleanup = cleanupOnce(() => projects);
  onTermination(cleanup);

  let coldVsFloor: ColdRuns;
  let served: ServedSamples;
  try {
    for (const project of PROJECTS) {
      projects.push(await createBenchProject(project));
      progress(`project copy: ${path.relative(REPO_ROOT, projects.at(-1)!.dir)}`);
    }
    coldVsFloor = await measureColdAgainstFloor(projects, options);
    served = await measureWithServers(projects.find(({ name }) => name === SERVED_PROJECT)!.dir, options);
  } finally {
    await cleanup();
  }

  const cold = summarizeColdRuns(coldVsFloor);
  const servedSummaries = summarizeServed(served);
  const results: Results = {
    date,
    machine: { ...machine, loadAverageEnd: os.loadavg()[0]! },
    options,
    projects: PROJECTS.map(({ name, source, floorPath, coldWallLimit }) => ({ name, source, floorPath, coldWallLimit })),
    servedProject: SERVED_PROJECT,
    coldKinds: COLD_KINDS.map(({ key, label, short, judged }) => ({ key, label, short, judged })),
    summaries: { cold, served: servedSummaries },
    verdicts: judge(targetValues(cold, servedSummaries), buildTargets(PROJECTS, COLD_KINDS)),
    runs: Object.fromEntries(
      Object.entries(coldVsFloor).map(([project, byCommand]) => [
        project,
        Object.fromEntries(Object.entries(byCommand).map(([command, runs]) => [command, storedRuns(runs)])),
      ]),
    ),
    samples: served,
    elapsedMs: performance.now() - started,
  };
  process.stdout.write(`${formatReport(results)}\n`);
  progress(`results written to ${path.relative(REPO_ROOT, await writeResults(results))}`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
