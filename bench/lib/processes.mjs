/**
 * Starting and stopping the processes the benchmark measures, each in its own process
 * group so that one kill reaches workerd too, and the sum of RSS over a process tree,
 * sampled from /proc (Linux).
 */
import { spawn, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "./project.mjs";

const VITE_BIN = path.join(REPO_ROOT, "node_modules/vite/bin/vite.js");
const STOP_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 120_000;
/** Kept of each stream for error messages; a vite dev that runs long must not grow without end. */
const OUTPUT_LIMIT = 64 * 1024;

/** Every process group started and not yet seen to exit, for {@link stopAll}. */
const running = new Set();

/**
 * Spawns a command in a new process group (as a terminal would start it apart from the
 * bench), output captured. `exited` resolves with the exit time (performance.now()).
 */
export function spawnGroup(command, args, { cwd, env = {} }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const output = { stdout: "", stderr: "" };
  for (const stream of ["stdout", "stderr"]) {
    child[stream].setEncoding("utf8").on("data", (chunk) => {
      output[stream] = (output[stream] + chunk).slice(-OUTPUT_LIMIT);
    });
  }
  const handle = { pid: child.pid, child, output };
  running.add(handle);
  handle.exited = new Promise((resolve, reject) => {
    let endedAt;
    child.once("error", reject);
    child.once("exit", () => (endedAt = performance.now()));
    // "close" waits for the pipes, so the output is complete.
    child.once("close", (code, signal) => {
      running.delete(handle);
      resolve({ code, signal, endedAt: endedAt ?? performance.now(), ...output });
    });
  });
  return handle;
}

/** SIGTERM to the group, SIGKILL if it is not gone in time; then whatever is left of the group. */
export async function stopGroup(handle) {
  killGroup(handle.pid, "SIGTERM");
  // Unreferenced: a pending deadline must not keep the bench alive after everything stopped.
  const deadline = sleep(STOP_TIMEOUT_MS, undefined, { ref: false });
  const exited = await Promise.race([handle.exited.catch(() => undefined), deadline]);
  if (!exited) killGroup(handle.pid, "SIGKILL");
  await handle.exited.catch(() => undefined);
  // workerd may outlive a Node parent killed hard; it is still in the group.
  killGroup(handle.pid, "SIGKILL");
}

/** Stops every group the bench started that is still running (error, Ctrl-C, the end). */
export async function stopAll() {
  await Promise.all([...running].map(stopGroup));
}

/** Kills what is left of a group whose leader exited (a child that outlived it). */
export function reapGroup(handle) {
  killGroup(handle.pid, "SIGKILL");
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== "ESRCH") throw error;
  }
}

/** A port that was free a moment ago; paired with --strictPort. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `vite dev` in `dir` as a user would (own process group), on 127.0.0.1 and a free
 * port, and resolves once the worker answers GET / with 200.
 */
export async function startViteDev(dir, configFile) {
  const port = await freePort();
  // --bypass-lock: Vite 8.4 refuses a second `vite dev` of one project; the bench runs them side by side on purpose.
  const args = [VITE_BIN, "dev", "--port", String(port), "--strictPort", "--host", "127.0.0.1", "--bypass-lock"];
  if (configFile) args.push("--config", configFile);
  const handle = spawnGroup(process.execPath, args, { cwd: dir });
  const url = `http://127.0.0.1:${port}/`;
  let exit;
  handle.exited.then((result) => (exit = result), () => {});
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await statusOf(url)) !== 200) {
    if (exit || Date.now() > deadline) {
      await stopGroup(handle);
      const { stdout, stderr } = handle.output;
      throw new Error(`vite dev (${configFile ?? "default config"}) did not answer on ${url}.\n${stdout}\n${stderr}`);
    }
    await sleep(200);
  }
  handle.url = url;
  return handle;
}

function statusOf(url) {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (response) => response.resume().on("end", () => resolve(response.statusCode)))
      .on("error", () => resolve(0));
  });
}

/** How often the tree's RSS is sampled while a measured process runs. */
export const SAMPLE_INTERVAL_MS = 20;
const PAGE_SIZE = pageSize();

function pageSize() {
  try {
    return Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim()) || 4096;
  } catch {
    return 4096;
  }
}

/** pid, parent, name and RSS (bytes) of every process, from /proc/<pid>/stat: one read each. */
function snapshot() {
  const processes = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // Exited between the listing and the read.
    }
    // "pid (name) state ppid … rss …"; the name may hold spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    processes.push({
      pid: Number(entry),
      name: stat.slice(stat.indexOf("(") + 1, close),
      ppid: Number(fields[1]),
      rss: Number(fields[21]) * PAGE_SIZE,
    });
  }
  return processes;
}

/** The root and every process below it, from one snapshot. */
function treeOf(root, processes) {
  const children = new Map();
  for (const info of processes) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info]);
  const tree = processes.filter((info) => info.pid === root);
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index].pid) ?? []));
  return tree;
}

/**
 * Samples the summed RSS of `root` and its descendants every `intervalMs` until stopped.
 * The peak is the largest sum seen, with what each process held at that moment.
 */
export function sampleTreeRss(root, intervalMs = SAMPLE_INTERVAL_MS) {
  let peak = { bytes: 0, processes: [] };
  const sample = () => {
    const tree = treeOf(root, snapshot());
    const bytes = tree.reduce((sum, info) => sum + info.rss, 0);
    if (bytes > peak.bytes) peak = { bytes, processes: tree.map(({ name, rss }) => ({ name, rss })) };
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
