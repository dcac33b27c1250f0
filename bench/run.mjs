/**
 * npm run bench [-- --runs 7 --attached-runs 30 --app-requests 500]
 *
 * What worker-run costs on examples/d1-seed, side by side with the least a tool could do
 * (issue 5). Not a test: it prints a table, writes the numbers to bench/results/, and marks
 * each target PASS or MISS; it fails only when something it runs fails.
 *
 * - floor: a Node program that starts the example's dev server without workerRun(),
 *   sends GET / into the worker, closes and exits; cold: `worker-run --no-attach` running a
 *   one-query script. Alternated, each with wall time and peak RSS.
 * - attached: the same script run in a `vite dev` already running: one launcher process,
 *   and runScript() called in this process.
 * - overhead: plain GET / latency of a `vite dev` with and without workerRun().
 *
 * Every process it starts is in its own process group and stopped at the end, also on
 * error and on Ctrl-C.
 */
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { alternatingLatencies, expectSuccess, measureProcess } from "./lib/measure.mjs";
import { createBenchProject, FILES, REPO_ROOT } from "./lib/project.mjs";
import { SAMPLE_INTERVAL_MS, startViteDev, stopAll, stopGroup } from "./lib/processes.mjs";
import { formatReport, judge, summarize } from "./lib/report.mjs";

const BIN = path.join(REPO_ROOT, "bin/worker-run.js");
const RESULTS_DIR = path.join(REPO_ROOT, "bench/results");
const ATTACHED = "Running in the dev server at";
/** What the launcher prints for the script's `{ one: 1 }`, so only real runs are timed. */
const RESULT = "one";
const DISCARD = { stdout() {}, stderr() {} };

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "7" },
      "attached-runs": { type: "string", default: "30" },
      "app-requests": { type: "string", default: "500" },
    },
  });
  const count = (name) => {
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

function describeMachine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageStart: os.loadavg()[0],
  };
}

function progress(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * floor and cold, one warm-up each (Vite's dependency cache, D1's local state), then
 * alternated with the order flipping every round, so drift and load from elsewhere on the
 * machine fall on both alike.
 */
async function measureColdAgainstFloor(dir, { runs }) {
  const commands = {
    floor: () => measureProcess(dir, [FILES.floorProgram], { resources: true, check: expectSuccess("floor") }),
    cold: () =>
      measureProcess(dir, [BIN, "--no-attach", FILES.script], {
        resources: true,
        check: expectSuccess("cold worker-run", { stdoutIncludes: RESULT }),
      }),
  };
  progress("warm-up: floor, cold");
  await commands.floor();
  await commands.cold();
  const measured = { floor: [], cold: [] };
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? ["floor", "cold"] : ["cold", "floor"];
    for (const name of order) measured[name].push(await commands[name]());
    const last = (name) => `${name} ${measured[name].at(-1).wallMs.toFixed(0)} ms`;
    progress(`round ${round + 1}/${runs}: ${last("floor")}, ${last("cold")}`);
  }
  return measured;
}

/** Plain GET / latency against both servers, keep-alive, warmed up first. */
async function measureAppOverhead(servers, options) {
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
async function measureAttachedProcess(dir, { attachedRuns, warmups }) {
  const run = () =>
    measureProcess(dir, [BIN, FILES.script], {
      check: expectSuccess("attached worker-run", { stdoutIncludes: RESULT, stderrIncludes: ATTACHED }),
    });
  progress(`attached worker-run: ${warmups} warm-ups, ${attachedRuns} runs`);
  for (let index = 0; index < warmups; index++) await run();
  const wallMs = [];
  for (let index = 0; index < attachedRuns; index++) wallMs.push((await run()).wallMs);
  return wallMs;
}

/** runScript() in this process against the running server; the first calls load its modules. */
async function measureInProcess(dir, { attachedRuns, warmups }) {
  const { runScript } = await import(pathToFileURL(path.join(REPO_ROOT, "dist/plugin/index.js")).href);
  const once = async () => {
    const statuses = [];
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
  const elapsed = [];
  for (let index = 0; index < attachedRuns; index++) elapsed.push(await once());
  return elapsed;
}

/** The server phases: overhead with both servers up, then attach against the one with workerRun(). */
async function measureWithServers(dir, options) {
  progress("starting vite dev with workerRun(), then twice without (the second one measures the noise)");
  const withPlugin = await startViteDev(dir);
  const withoutPlugin = await startViteDev(dir, FILES.floorConfig);
  const control = await startViteDev(dir, FILES.floorConfig);
  const [appWith, appWithout, appControl] = await measureAppOverhead([withPlugin, withoutPlugin, control], options);
  await stopGroup(control);
  await stopGroup(withoutPlugin);
  const attachedProcess = await measureAttachedProcess(dir, options);
  const inProcess = await measureInProcess(dir, options);
  await stopGroup(withPlugin);
  return { appWith, appWithout, appControl, attachedProcess, inProcess };
}

function summarizeAll(coldVsFloor, served) {
  const field = (runs, key) => runs.map((run) => run[key]);
  return {
    floorWall: summarize(field(coldVsFloor.floor, "wallMs")),
    coldWall: summarize(field(coldVsFloor.cold, "wallMs")),
    floorTreeRss: summarize(field(coldVsFloor.floor, "treePeakBytes")),
    coldTreeRss: summarize(field(coldVsFloor.cold, "treePeakBytes")),
    floorNodeRss: summarize(field(coldVsFloor.floor, "nodeMaxRssBytes")),
    coldNodeRss: summarize(field(coldVsFloor.cold, "nodeMaxRssBytes")),
    floorNodeCpu: summarize(field(coldVsFloor.floor, "nodeCpuMs")),
    coldNodeCpu: summarize(field(coldVsFloor.cold, "nodeCpuMs")),
    attachedProcess: summarize(served.attachedProcess),
    inProcess: summarize(served.inProcess),
    appWith: summarize(served.appWith),
    appWithout: summarize(served.appWithout),
    appControl: summarize(served.appControl),
  };
}

/** The runs as stored: numbers only, not the processes' output. */
function storedRuns(runs) {
  return runs.map(({ wallMs, treePeakBytes, treePeakProcesses, nodeMaxRssBytes, nodeCpuMs }) => ({
    wallMs,
    treePeakBytes,
    treePeakProcesses,
    nodeMaxRssBytes,
    nodeCpuMs,
  }));
}

async function writeResults(results) {
  await mkdir(RESULTS_DIR, { recursive: true });
  // ISO 8601 with the colons swapped for hyphens, so the name is valid on every file system.
  const file = path.join(RESULTS_DIR, `${results.date.replaceAll(":", "-")}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/**
 * Stops what the bench started and removes the copy, once, whichever way the bench ends
 * (finished, failed, Ctrl-C). The project is read when cleaning, as it may not exist yet.
 */
function cleanupOnce(getProject) {
  let done;
  return () => (done ??= stopAll().finally(() => getProject()?.remove()));
}

/** Ctrl-C and SIGTERM clean up, then exit with the usual codes. */
function onTermination(cleanup) {
  const handle = (signal) => {
    progress(`${signal}: stopping everything the bench started`);
    cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", handle);
  process.once("SIGTERM", handle);
}

async function main() {
  const started = performance.now();
  if (process.platform !== "linux") throw new Error("The bench reads process trees and RSS from /proc, so it runs on Linux only.");
  const options = parseOptions();
  const machine = describeMachine();
  const date = new Date().toISOString();
  let project;
  const cleanup = cleanupOnce(() => project);
  onTermination(cleanup);

  let coldVsFloor;
  let served;
  try {
    project = await createBenchProject();
    progress(`project copy: ${path.relative(REPO_ROOT, project.dir)}`);
    coldVsFloor = await measureColdAgainstFloor(project.dir, options);
    served = await measureWithServers(project.dir, options);
  } finally {
    await cleanup();
  }

  const summaries = summarizeAll(coldVsFloor, served);
  const verdicts = judge({
    coldOverFloorWall: summaries.coldWall.median / summaries.floorWall.median,
    coldOverFloorRss: summaries.coldTreeRss.median / summaries.floorTreeRss.median,
    attachedProcessMs: summaries.attachedProcess.median,
    inProcessMs: summaries.inProcess.median,
    appWithOverWithout: summaries.appWith.median / summaries.appWithout.median,
  });
  const results = {
    date,
    machine: { ...machine, loadAverageEnd: os.loadavg()[0] },
    options,
    summaries,
    verdicts,
    runs: { floor: storedRuns(coldVsFloor.floor), cold: storedRuns(coldVsFloor.cold) },
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
