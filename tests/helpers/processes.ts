import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  /** Resident set size in pages (multiply by the page size for bytes). */
  rssPages: number;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (name) state ppid …; the name may contain spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    return { pid, ppid: Number(fields[1]), name, state: fields[0]!, rssPages: Number(fields[21]) };
  } catch {
    return undefined;
  }
}

/** Every process, from /proc/<pid>/stat (one read each; those gone meanwhile are skipped). */
function allProcesses(): ProcessInfo[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry)))
    .filter((info): info is ProcessInfo => info !== undefined);
}

/** Every live process whose ancestry leads to `root` (Linux /proc). */
export function descendantsOf(root: number): ProcessInfo[] {
  return descendantsIn(allProcesses(), root);
}

/** `root` itself (if it is still there) and every process below it, from one snapshot of /proc. */
export function processTree(root: number): ProcessInfo[] {
  const all = allProcesses();
  return [...all.filter((info) => info.pid === root), ...descendantsIn(all, root)];
}

function descendantsIn(all: ProcessInfo[], root: number): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const info of all) byParent.set(info.ppid, [...(byParent.get(info.ppid) ?? []), info]);
  const found: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** True while `pid` exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== "Z";
}

/**
 * Watches the process tree under `root` until stopped, remembering every descendant seen,
 * so a test can check afterwards that each one is gone.
 */
export function watchDescendants(root: number, intervalMs = 50): { stop(): ProcessInfo[] } {
  const seen = new Map<number, ProcessInfo>();
  const sample = (): void => {
    for (const info of descendantsOf(root)) seen.set(info.pid, info);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...seen.values()];
    },
  };
}

const PAGE_SIZE = pageSize();

function pageSize(): number {
  try {
    return Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim()) || 4096;
  } catch {
    return 4096;
  }
}

/** What each process of a tree held (RSS, bytes) when the tree's sum peaked. */
export interface TreePeak {
  bytes: number;
  processes: { name: string; rss: number }[];
}

/**
 * Samples the summed RSS of `root` and its descendants every `intervalMs` until stopped.
 * The peak is the largest sum seen, with what each process held at that moment.
 */
export function sampleTreeRss(root: number, intervalMs = 20): { stop(): TreePeak } {
  let peak: TreePeak = { bytes: 0, processes: [] };
  const sample = (): void => {
    const tree = processTree(root).map(({ name, rssPages }) => ({ name, rss: rssPages * PAGE_SIZE }));
    const bytes = tree.reduce((sum, info) => sum + info.rss, 0);
    if (bytes > peak.bytes) peak = { bytes, processes: tree };
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
