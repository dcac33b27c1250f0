import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { rawRequest, type RawResponse } from "./dev-server.js";
import { VITE_BIN } from "./paths.js";
import { isAlive, watchDescendants } from "./processes.js";
import { spawnCaptured } from "./run-cli.js";

const READY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
const REAP_TIMEOUT_MS = 10_000;

/** How a `vite dev` process ended, and what it printed. */
export interface ViteDevExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What stopping left: how vite exited, and every process it started that is still alive. */
export interface ViteDevStopped {
  exit: ViteDevExit;
  /** True when SIGTERM was not enough and the group had to be killed with SIGKILL. */
  forced: boolean;
  /** Names of every process seen under vite while it ran (e.g. `workerd`). */
  seen: string[];
  /** Processes of its tree still alive after the exit (killed with SIGKILL after being recorded). */
  survivors: { pid: number; name: string }[];
}

/** A `vite dev` process started in its own process group. */
export interface ViteDevProcess {
  url: string;
  pid: number;
  /** GET a path of the app. */
  get(pathname: string): Promise<RawResponse>;
  /** SIGTERM to the process group, then waits for vite and its children to go. Idempotent. */
  stop(): Promise<ViteDevStopped>;
}

/** A port that was free a moment ago (bind to 0, read, close); pair it with `--strictPort`. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How to start a `vite dev` process. */
export interface ViteDevOptions {
  /** Variables added to (or, when undefined, removed from) the test's environment. */
  env?: NodeJS.ProcessEnv;
  /** More `vite dev` arguments (e.g. `--config <file>`). */
  args?: string[];
  /** Ready only once GET / answers with this status; by default any answer will do. */
  readyStatus?: number;
  readyTimeoutMs?: number;
  /** How often its process tree is sampled for `seen` and `survivors` (default 50 ms). */
  watchIntervalMs?: number;
}

/**
 * Starts `vite dev --port <free> --strictPort --host 127.0.0.1 …args` in `root` as a
 * separate process, the way a user would, and resolves once it answers HTTP (with
 * `readyStatus`, if given). On failure the process group is stopped and the error carries
 * its output.
 */
export async function startViteDev(root: string, options: ViteDevOptions = {}): Promise<ViteDevProcess> {
  // Test files run side by side: a port free a moment ago may be taken by the time vite binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startViteDevOnce(root, await freePort(), options);
    } catch (error) {
      if (attempt === 3 || !/already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startViteDevOnce(root: string, port: number, options: ViteDevOptions): Promise<ViteDevProcess> {
  const vite = spawnCaptured(
    process.execPath,
    [VITE_BIN, "dev", "--port", String(port), "--strictPort", "--host", "127.0.0.1", ...(options.args ?? [])],
    {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env },
      // Its own process group, so that stopping it reaches workerd too.
      detached: true,
    },
  );
  const pid = vite.pid;
  const watcher = watchDescendants(pid, options.watchIntervalMs);
  let exit: ViteDevExit | undefined;
  const exited = vite.exited.then(({ code, signal, stdout, stderr }) => (exit = { code, signal, stdout, stderr }));
  const url = `http://127.0.0.1:${port}/`;

  let stopped: Promise<ViteDevStopped> | undefined;
  const stop = (): Promise<ViteDevStopped> => (stopped ??= stopGroup(pid, exited, watcher));
  const get = (pathname: string): Promise<RawResponse> => rawRequest(url, { method: "GET", path: pathname });

  try {
    const timeout = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const deadline = Date.now() + timeout;
    for (;;) {
      if (exit) throw new Error("vite dev exited before it answered");
      const status = await get("/").then(
        (response) => response.status,
        () => undefined,
      );
      // Answered, and by this vite (not by another server that had the port first).
      if (status !== undefined && (options.readyStatus === undefined || status === options.readyStatus)) {
        await sleep(50);
        if (exit) throw new Error("vite dev exited before it answered");
        break;
      }
      if (Date.now() > deadline) {
        const answer = status === undefined ? "" : ` with ${options.readyStatus} (last answer: ${status})`;
        throw new Error(`vite dev did not answer on ${url}${answer} within ${timeout} ms`);
      }
      await sleep(200);
    }
  } catch (error) {
    const { exit: end } = await stop();
    throw new Error(`${(error as Error).message}\n--- stdout ---\n${end.stdout}\n--- stderr ---\n${end.stderr}`);
  }
  return { url, pid, get, stop };
}

async function stopGroup(
  pid: number,
  exited: Promise<ViteDevExit>,
  watcher: ReturnType<typeof watchDescendants>,
): Promise<ViteDevStopped> {
  killGroup(pid, "SIGTERM");
  // Unreferenced: a pending deadline must not keep the process alive once vite has exited.
  const exit = await Promise.race([exited, sleep(EXIT_TIMEOUT_MS, undefined, { ref: false }).then(() => undefined)]);
  if (!exit) {
    killGroup(pid, "SIGKILL");
    await exited;
  }
  const tree = watcher.stop();
  // Children killed with the group are reaped by init shortly after vite exits.
  const deadline = Date.now() + REAP_TIMEOUT_MS;
  while (tree.some((info) => isAlive(info.pid)) && Date.now() < deadline) await sleep(100);
  const survivors = tree.filter((info) => isAlive(info.pid)).map(({ pid, name }) => ({ pid, name }));
  for (const survivor of survivors) {
    try {
      process.kill(survivor.pid, "SIGKILL");
    } catch {
      // Gone in the meantime.
    }
  }
  return { exit: await exited, forced: !exit, seen: tree.map((info) => info.name), survivors };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
