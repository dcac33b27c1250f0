/**
 * The measurements themselves: a whole process (wall time, peak RSS of its tree, its own
 * max RSS) and the latency of plain app requests.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { FILES } from "./project.js";
import { reapGroup, sampleTreeRss, spawnGroup, type GroupExit, type TreePeak } from "./processes.js";

let probeRuns = 0;

/** One measured process. The resource fields are there when it was measured with `resources`. */
export interface Measurement {
  wallMs: number;
  result: GroupExit;
  treePeakBytes?: number;
  treePeakProcesses?: TreePeak["processes"];
  nodeMaxRssBytes?: number;
  nodeCpuMs?: number;
}

/**
 * Runs `node <args>` in `dir` to its end. Wall time: from spawn to the process's exit.
 * `check(result)` throws when the run did not do what it should (so nothing failed is timed).
 * With `resources`, also the peak summed RSS of its tree (sampled), and Node's own max RSS and
 * CPU time (probe). `env`: variables set for it on top of this process's.
 */
export async function measureProcess(
  dir: string,
  args: string[],
  {
    resources = false,
    env = {},
    check,
  }: { resources?: boolean; env?: Record<string, string>; check: (result: GroupExit) => void },
): Promise<Measurement> {
  const probeFile = path.join(dir, `.probe-${probeRuns++}.json`);
  const probe = resources ? [`--import=${pathToFileURL(path.join(dir, FILES.probe)).href}`] : [];
  const started = performance.now();
  const handle = spawnGroup(process.execPath, [...probe, ...args], { cwd: dir, env: { ...env, BENCH_PROBE_FILE: probeFile } });
  const sampler = resources ? sampleTreeRss(handle.pid) : undefined;
  const result = await handle.exited;
  const peak = sampler?.stop();
  reapGroup(handle); // A child that outlived its parent would skew the next run.
  check(result);
  const measurement: Measurement = { wallMs: result.endedAt - started, result };
  if (peak) {
    measurement.treePeakBytes = peak.bytes;
    measurement.treePeakProcesses = peak.processes;
    const own = JSON.parse(await readFile(probeFile, "utf8")) as { maxRSS: number; cpuMicros: number };
    measurement.nodeMaxRssBytes = own.maxRSS * 1024;
    measurement.nodeCpuMs = own.cpuMicros / 1000;
  }
  return measurement;
}

/**
 * Throws with the process's output unless it exited 0 and printed what it should (the
 * script's result on stdout, a status line on stderr) and not what it should not.
 */
export function expectSuccess(
  label: string,
  { stdoutIncludes, stderrIncludes, stderrExcludes }: { stdoutIncludes?: string; stderrIncludes?: string; stderrExcludes?: string } = {},
): (result: GroupExit) => void {
  const expected: { stream: "stdout" | "stderr"; text: string }[] = [];
  if (stdoutIncludes) expected.push({ stream: "stdout", text: stdoutIncludes });
  if (stderrIncludes) expected.push({ stream: "stderr", text: stderrIncludes });
  return (result) => {
    const unwanted = stderrExcludes !== undefined && result.stderr.includes(stderrExcludes);
    if (result.code === 0 && !unwanted && expected.every(({ stream, text }) => result[stream].includes(text))) return;
    const wanted = expected.map(({ stream, text }) => ` ${JSON.stringify(text)} on ${stream}`).join(" and");
    const without = stderrExcludes === undefined ? "" : ` and without ${JSON.stringify(stderrExcludes)} on stderr`;
    throw new Error(
      `${label}: expected exit 0${wanted ? ` with${wanted}` : ""}${without}, got exit ${result.code} (signal ${result.signal}).\n` +
        `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  };
}

/** One GET over `agent` (keep-alive); resolves to its latency in ms, body read to the end. */
export function timedGet(agent: http.Agent, url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume();
        response.on("error", reject).on("end", () => {
          if (response.statusCode === 200) resolve(performance.now() - started);
          else reject(new Error(`GET ${url} answered ${response.statusCode}.`));
        });
      })
      .on("error", reject);
  });
}

/**
 * Latencies of GET / against each server, one request at a time, in alternating batches
 * (the order flips every batch), so that load from elsewhere on the machine hits both alike.
 */
export async function alternatingLatencies(
  servers: { url: string; agent: http.Agent }[],
  { batches, batchSize }: { batches: number; batchSize: number },
): Promise<number[][]> {
  const latencies = servers.map((): number[] => []);
  for (let batch = 0; batch < batches; batch++) {
    const order = batch % 2 === 0 ? [...servers.keys()] : [...servers.keys()].reverse();
    for (const index of order) {
      for (let request = 0; request < batchSize; request++) {
        latencies[index]!.push(await timedGet(servers[index]!.agent, servers[index]!.url));
      }
    }
  }
  return latencies;
}
