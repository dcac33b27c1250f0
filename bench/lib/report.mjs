/**
 * Summaries, targets and the printed table. Everything here is pure: numbers in, text out.
 */

/** n, median, p95 (nearest rank), min and max of a list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const p95 = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)];
  return { n: sorted.length, median, p95, min: sorted[0], max: sorted.at(-1) };
}

/** The targets; `value` is a ratio or milliseconds, compared with `limit`. */
export const TARGETS = [
  { key: "coldOverFloorWall", label: "cold / floor, wall time (medians)", limit: 1.05, inclusive: true, unit: "x" },
  { key: "coldOverFloorRss", label: "cold / floor, tree peak RSS (medians)", limit: 1.1, inclusive: true, unit: "x" },
  { key: "attachedProcessMs", label: "attached worker-run process, median", limit: 150, inclusive: false, unit: "ms" },
  { key: "inProcessMs", label: "in-process runScript(), median", limit: 30, inclusive: false, unit: "ms" },
  {
    key: "appWithOverWithout",
    label: "app GET /, with / without workerRun() (medians)",
    limit: 1.02,
    inclusive: true,
    unit: "x",
  },
];

/** Each target with its value and PASS/MISS. */
export function judge(values) {
  return TARGETS.map((target) => {
    const value = values[target.key];
    const pass = target.inclusive ? value <= target.limit : value < target.limit;
    return { ...target, value, verdict: pass ? "PASS" : "MISS" };
  });
}

const MIB = 1024 * 1024;
const ms = (value) => `${value.toFixed(value < 100 ? 1 : 0)} ms`;
const mib = (bytes) => `${(bytes / MIB).toFixed(0)} MiB`;
const ratio = (value) => value.toFixed(3);

/** Text columns: the first left-aligned, the others right-aligned, under a dashed rule. */
function table(header, rows) {
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((cells) => cells[column].length)));
  const line = (cells) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

function measurementRow(label, summary, format, withP95 = false) {
  const { n, median, p95, min, max } = summary;
  return [label, String(n), format(median), withP95 ? format(p95) : "", format(min), format(max)];
}

function measurementTable(s) {
  return table(
    ["measurement", "n", "median", "p95", "min", "max"],
    [
      measurementRow("floor: createServer (no workerRun) + GET / + close, wall", s.floorWall, ms),
      measurementRow("cold: worker-run --no-attach bench-query.ts, wall", s.coldWall, ms),
      measurementRow("floor: tree peak RSS (process + descendants)", s.floorTreeRss, mib),
      measurementRow("cold: tree peak RSS (process + descendants)", s.coldTreeRss, mib),
      measurementRow("floor: Node process's own max RSS", s.floorNodeRss, mib),
      measurementRow("cold: Node process's own max RSS", s.coldNodeRss, mib),
      measurementRow("floor: Node process's own CPU time (user+sys)", s.floorNodeCpu, ms),
      measurementRow("cold: Node process's own CPU time (user+sys)", s.coldNodeCpu, ms),
      measurementRow("attached: worker-run process, wall", s.attachedProcess, ms, true),
      measurementRow("attached: runScript() in-process", s.inProcess, ms, true),
      measurementRow("app GET / without workerRun()", s.appWithout, ms, true),
      measurementRow("app GET / with workerRun()", s.appWith, ms, true),
      measurementRow("app GET / without, second server (noise control)", s.appControl, ms, true),
    ],
  );
}

function targetTable(verdicts) {
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
function peakBreakdown(runs) {
  const sorted = [...runs].sort((a, b) => a.treePeakBytes - b.treePeakBytes);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return median.treePeakProcesses.map(({ name, rss }) => `${name} ${mib(rss)}`).join(" + ");
}

/** How each number was taken, so the table can be read without the code. */
function notes({ options, summaries: s, runs }) {
  const batches = options.appRequests / options.batchSize;
  return [
    `- tree peak RSS: the largest sum of RSS over the process and all its descendants (workerd`,
    `  too), sampled from /proc every ${options.sampleMs} ms; pages shared between processes count in each.`,
    `  At the median peak: floor ${peakBreakdown(runs.floor)}; cold ${peakBreakdown(runs.cold)}.`,
    `- Node's own max RSS and CPU time: getrusage(RUSAGE_SELF) of the Node process alone, written`,
    `  at exit by a preloaded probe (/usr/bin/time's %M would also count reaped children).`,
    `- app noise: a second, identical server without workerRun() against the first gives`,
    `  ${ratio(s.appControl.median / s.appWithout.median)} (medians ${s.appControl.median.toFixed(2)} / ${s.appWithout.median.toFixed(2)} ms): ratios within that distance of 1 are noise.`,
    `- less sensitive to load from elsewhere, cold / floor of: the minimum wall times`,
    `  ${ratio(s.coldWall.min / s.floorWall.min)}, the median Node CPU times ${ratio(s.coldNodeCpu.median / s.floorNodeCpu.median)}.`,
    `- floor and cold: ${options.runs} runs each after one warm-up each, alternating (the order flips every`,
    `  round), on the same copy.`,
    `- attached: ${options.attachedRuns} runs each after ${options.warmups} warm-ups, against one \`vite dev\` of the copy; every run`,
    `  checked for "Running in the dev server at".`,
    `- app: both \`vite dev\` servers running at once, ${batches} alternating batches of ${options.batchSize} sequential`,
    `  GET / each on a keep-alive agent, after ${options.appWarmup} warm-up requests each.`,
  ];
}

/** The printed report: machine, one table of measurements, one of targets, and notes. */
export function formatReport(results) {
  const { machine: m } = results;
  return [
    `worker-run benchmark: examples/d1-seed, ${results.date}`,
    `machine: ${m.cores} cores (${m.cpuModel}), ${mib(m.totalMemoryBytes)} RAM, Node ${m.node}, ${m.platform};`,
    `load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end`,
    "",
    ...measurementTable(results.summaries),
    "",
    ...targetTable(results.verdicts),
    "",
    ...notes(results),
    `bench took ${(results.elapsedMs / 1000).toFixed(0)} s.`,
  ].join("\n");
}
