/**
 * Summaries, targets and the printed table. Everything here is pure: numbers in, text out.
 */
import type { ProjectSpec } from "./project.js";
import type { TreePeak } from "./processes.js";

/** A list of numbers, summarized. */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** A cold path measured against the floor. */
export interface ColdKind {
  key: string;
  label: string;
  short: string;
  /** Whether the cold / floor targets judge it; false: measured to explain the others. */
  judged: boolean;
}

export interface Target {
  key: string;
  label: string;
  limit: number;
  inclusive: boolean;
  unit: "x" | "ms";
}

export interface Verdict extends Target {
  value: number;
  verdict: "PASS" | "MISS";
}

/** The summaries of one cold-phase command (floor, cold, default) on one project. */
export interface CommandSummary {
  wall: Summary;
  treeRss: Summary;
  nodeRss: Summary;
  nodeCpu: Summary;
}

/** One cold-phase run as stored. */
export interface StoredRun {
  wallMs: number;
  treePeakBytes: number;
  treePeakProcesses: TreePeak["processes"];
  nodeMaxRssBytes: number;
  nodeCpuMs: number;
}

/** The served phases (d1-seed): samples in ms. */
export interface ServedSamples {
  appWith: number[];
  appWithout: number[];
  appControl: number[];
  attachedProcess: number[];
  inProcess: number[];
  /** A console entry's round trip, attached: write to printed result. */
  consoleEntry: number[];
  /** The 200,000-step script without progress calls, attached: process wall time. */
  stepsQuiet: number[];
  /** The same with a progress call on every step. */
  stepsProgress: number[];
  /** Their runs' own durations, as the launcher's summary line says (post to answer). */
  stepsQuietRun: number[];
  stepsProgressRun: number[];
}

export interface Machine {
  cores: number;
  cpuModel: string;
  totalMemoryBytes: number;
  node: string;
  platform: string;
  loadAverageStart: number;
  loadAverageEnd: number;
  distBuilt: string;
}

export interface BenchOptions {
  runs: number;
  attachedRuns: number;
  appRequests: number;
  batchSize: number;
  appWarmup: number;
  warmups: number;
  sampleMs: number;
  /** Runs of the 200,000-step script, each way. */
  progressRuns: number;
}

/** Everything a run of the bench found, as written to bench/results/. */
export interface Results {
  date: string;
  machine: Machine;
  options: BenchOptions;
  projects: Pick<ProjectSpec, "name" | "source" | "floorPath" | "coldWallLimit">[];
  servedProject: string;
  coldKinds: ColdKind[];
  summaries: {
    /** Per project, per command. */
    cold: Record<string, Record<string, CommandSummary>>;
    served: Record<keyof ServedSamples, Summary>;
  };
  verdicts: Verdict[];
  /** Per project, per command. */
  runs: Record<string, Record<string, StoredRun[]>>;
  samples: ServedSamples;
  elapsedMs: number;
}

/** n, median, p95 (nearest rank), min and max of a list of numbers. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  const median = sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
  const p95 = at(Math.max(0, Math.ceil(0.95 * sorted.length) - 1));
  return { n: sorted.length, median, p95, min: at(0), max: at(sorted.length - 1) };
}

/**
 * The targets; `value` is a ratio or milliseconds, compared with `limit`. Per project and
 * cold path: cold / floor wall time (the project's `coldWallLimit`) and tree peak RSS (not
 * above the floor's); then the attached and app targets.
 */
export function buildTargets(projects: ProjectSpec[], coldKinds: ColdKind[]): Target[] {
  const cold = projects.flatMap((project): Target[] =>
    coldKinds.filter(({ judged }) => judged).flatMap((kind) => [
      {
        key: `${project.name}.${kind.key}.wall`,
        label: `${project.name}: ${kind.short} / floor, wall (medians)`,
        limit: project.coldWallLimit,
        inclusive: true,
        unit: "x",
      },
      {
        key: `${project.name}.${kind.key}.treeRss`,
        label: `${project.name}: ${kind.short} / floor, tree peak RSS (medians)`,
        limit: 1,
        inclusive: true,
        unit: "x",
      },
    ]),
  );
  return [
    ...cold,
    { key: "attachedProcessMs", label: "attached worker-run process, median", limit: 150, inclusive: false, unit: "ms" },
    { key: "inProcessMs", label: "in-process runScript(), median", limit: 30, inclusive: false, unit: "ms" },
    {
      key: "consoleOverInProcess",
      label: "console entry / in-process runScript() (medians)",
      limit: 1.5,
      inclusive: true,
      unit: "x",
    },
    {
      key: "progressOverQuiet",
      label: "200,000 steps, progress / none, attached process wall (medians)",
      limit: 1.05,
      inclusive: true,
      unit: "x",
    },
    {
      key: "appWithOverWithout",
      label: "app GET /, with / without workerRun() (medians)",
      limit: 1.02,
      inclusive: true,
      unit: "x",
    },
  ];
}

/** Each target with its value and PASS/MISS. */
export function judge(values: Record<string, number>, targets: Target[]): Verdict[] {
  return targets.map((target) => {
    const value = values[target.key] ?? Number.NaN;
    const pass = target.inclusive ? value <= target.limit : value < target.limit;
    return { ...target, value, verdict: pass ? "PASS" : "MISS" };
  });
}

const MIB = 1024 * 1024;
const ms = (value: number): string => `${value.toFixed(value < 100 ? 1 : 0)} ms`;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;
const ratio = (value: number): string => value.toFixed(3);

/** Text columns: the first left-aligned, the others right-aligned, under a dashed rule. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

function measurementRow(label: string, summary: Summary, format: (value: number) => string, withP95 = false): string[] {
  const { n, median, p95, min, max } = summary;
  return [label, String(n), format(median), withP95 ? format(p95) : "", format(min), format(max)];
}

/** What each command of the cold phase is, for the labels. */
const COMMAND_LABELS: Record<string, string> = {
  floor: "floor: createServer (no workerRun) + 1 request + close",
  cold: "cold: worker-run --no-attach bench-query.ts",
  default: "default: worker-run bench-query.ts (cold, lock + record)",
  uncached: "uncached: --no-attach, NODE_DISABLE_COMPILE_CACHE=1",
};

function measurementTable({ projects, coldKinds, servedProject, summaries }: Results): string[] {
  const commands = ["floor", ...coldKinds.map(({ key }) => key)];
  const coldRows = projects.flatMap(({ name }) => {
    const s = summaries.cold[name]!;
    const rows = (title: string, field: keyof CommandSummary, format: (value: number) => string): string[][] =>
      commands.map((command) => measurementRow(`${name}: ${COMMAND_LABELS[command] ?? command}, ${title}`, s[command]![field], format));
    return [
      ...rows("wall", "wall", ms),
      ...rows("tree peak RSS", "treeRss", mib),
      ...rows("Node's own max RSS", "nodeRss", mib),
      ...rows("Node's own CPU", "nodeCpu", ms),
    ];
  });
  const s = summaries.served;
  return table(
    ["measurement", "n", "median", "p95", "min", "max"],
    [
      ...coldRows,
      measurementRow(`${servedProject}: attached: worker-run process, wall`, s.attachedProcess, ms, true),
      measurementRow(`${servedProject}: attached: runScript() in-process`, s.inProcess, ms, true),
      measurementRow(`${servedProject}: attached: console entry round trip`, s.consoleEntry, ms, true),
      measurementRow(`${servedProject}: attached: 200,000 steps, no progress calls, wall`, s.stepsQuiet, ms, true),
      measurementRow(`${servedProject}: attached: 200,000 steps, progress on each, wall`, s.stepsProgress, ms, true),
      measurementRow(`${servedProject}: attached: 200,000 steps, no progress calls, run`, s.stepsQuietRun, ms, true),
      measurementRow(`${servedProject}: attached: 200,000 steps, progress on each, run`, s.stepsProgressRun, ms, true),
      measurementRow(`${servedProject}: app GET / without workerRun()`, s.appWithout, ms, true),
      measurementRow(`${servedProject}: app GET / with workerRun()`, s.appWith, ms, true),
      measurementRow(`${servedProject}: app GET / without, second server (noise)`, s.appControl, ms, true),
    ],
  );
}

function targetTable(verdicts: Verdict[]): string[] {
  return table(
    ["target", "value", "target", "verdict"],
    verdicts.map(({ label, unit, value, inclusive, limit, verdict }) => [
      label,
      unit === "x" ? ratio(value) : ms(value),
      `${inclusive ? "<=" : "<"} ${limit}${unit === "x" ? "" : " ms"}`,
      verdict,
    ]),
  );
}

/** What each process held at the peak of the run with the median tree peak. */
function peakBreakdown(runs: StoredRun[]): string {
  const sorted = [...runs].sort((a, b) => a.treePeakBytes - b.treePeakBytes);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return median.treePeakProcesses.map(({ name, rss }) => `${name} ${mib(rss)}`).join(" + ");
}

/** The median of run i / floor run i: both ran in the same round, under the same load. */
function pairedRatio(runs: StoredRun[], floorRuns: StoredRun[]): number {
  return summarize(runs.map((run, index) => run.wallMs / floorRuns[index]!.wallMs)).median;
}

/** How each number was taken, so the table can be read without the code. */
function notes({ options, projects, coldKinds, servedProject, summaries, runs }: Results): string[] {
  const batches = options.appRequests / options.batchSize;
  const served = summaries.served;
  const perProject = projects.flatMap(({ name, floorPath }) => {
    const s = summaries.cold[name]!;
    const byCommand = runs[name]!;
    const peaks = ["floor", ...coldKinds.map(({ key }) => key)].map((command) => `${command} ${peakBreakdown(byCommand[command]!)}`);
    const steadier = coldKinds.map(
      ({ key, short }) =>
        `${short}: paired wall ${ratio(pairedRatio(byCommand[key]!, byCommand.floor!))}, min wall ${ratio(s[key]!.wall.min / s.floor!.wall.min)}, Node CPU ${ratio(s[key]!.nodeCpu.median / s.floor!.nodeCpu.median)}, Node max RSS ${ratio(s[key]!.nodeRss.median / s.floor!.nodeRss.median)}`,
    );
    return [
      `- ${name}: the floor requests ${floorPath} (answered by the worker). At the median tree peak:`,
      ...peaks.map((line) => `    ${line}`),
      `  cold / floor, less sensitive to load from elsewhere (paired: the median of each round's own`,
      `  ratio; CPU and RSS: ratios of the medians):`,
      ...steadier.map((line) => `    ${line}`),
    ];
  });
  return [
    `- tree peak RSS: the largest sum of RSS over the process and all its descendants (workerd`,
    `  too), sampled from /proc every ${options.sampleMs} ms; pages shared between processes count in each.`,
    `- Node's own max RSS and CPU time: getrusage(RUSAGE_SELF) of the Node process alone, written`,
    `  at exit by a preloaded probe (/usr/bin/time's %M would also count reaped children).`,
    ...perProject,
    `- floor and the cold paths: ${options.runs} runs each per project after one warm-up each, alternating`,
    `  (projects and commands; the order flips every round), each project on its own copy.`,
    `- app noise: a second, identical server without workerRun() against the first gives`,
    `  ${ratio(served.appControl.median / served.appWithout.median)} (medians ${served.appControl.median.toFixed(2)} / ${served.appWithout.median.toFixed(2)} ms): ratios within that distance of 1 are noise.`,
    `- attached (${servedProject}): ${options.attachedRuns} runs each after ${options.warmups} warm-ups, against one \`vite dev\` of the copy;`,
    `  every run checked for "Running in the dev server at".`,
    `- progress (${servedProject}): bench-steps.ts with and without a progress() call on each of its`,
    `  200,000 steps, ${options.progressRuns} worker-run processes each, alternating, stderr piped; "run" is the`,
    `  duration the launcher's summary line reports. Run ratio of the medians: ${ratio(served.stepsProgressRun.median / served.stepsQuietRun.median)}.`,
    `- app (${servedProject}): both \`vite dev\` servers running at once, ${batches} alternating batches of ${options.batchSize}`,
    `  sequential GET / each on a keep-alive agent, after ${options.appWarmup} warm-up requests each.`,
  ];
}

/** The printed report: machine, one table of measurements, one of targets, and notes. */
export function formatReport(results: Results): string {
  const { machine: m } = results;
  return [
    `worker-run benchmark: ${results.projects.map(({ source }) => source).join(", ")}; ${results.date}`,
    `machine: ${m.cores} cores (${m.cpuModel}), ${mib(m.totalMemoryBytes)} RAM, Node ${m.node}, ${m.platform};`,
    `load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end; measured dist/ built ${m.distBuilt}`,
    "",
    ...measurementTable(results),
    "",
    ...targetTable(results.verdicts),
    "",
    ...notes(results),
    `bench took ${(results.elapsedMs / 1000).toFixed(0)} s.`,
  ].join("\n");
}
