// The floor of each peer range ("tested on Node 24 with the latest peers, and on the
// floor of each range"). @cloudflare/vite-plugin 1.34.0, the floor of its range, with the
// wrangler 4.86.0 it depends on exactly, next to Vite 6, 7 and 8, each on Node 20 and on
// Node 22 (binaries from the npm registry, tests/helpers/node-binaries.ts). For each Vite
// major, a copy of examples/d1-seed outside the repository installs the packed package with
// those peers pinned, once (with Node 22's npm: no dependency builds a native addon, so the
// install is the same for both Node versions). Then, on each Node version, the copy must:
// run the seed with the installed bin; keep the route's own defences on a dev server of THAT
// Vite in a process of THAT Node (Vite 6 runs plugin middlewares before its host/CORS checks,
// so the worker's checks must hold by themselves); and build byte-identical output with and
// without workerRun().
//
// Every process is started in a process group of its own and killed (group and every
// descendant seen) when it is done, when its time limit passes, and in afterAll.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER } from "../../shared/protocol.js";
import { removeProjectFiles } from "../helpers/attach-streaming.js";
import { rawRequest, type RawResponse } from "../helpers/dev-server.js";
import { installNode } from "../helpers/node-binaries.js";
import { packRepository } from "../helpers/pack.js";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { isAlive, watchDescendants } from "../helpers/processes.js";
import { describeRun, spawnCaptured, type CliResult } from "../helpers/run-cli.js";
import { withoutWorkerRun } from "../helpers/vite-config.js";
import { freePort } from "../helpers/vite-dev-process.js";

const VITES = [
  { major: 6, range: "^6.1.0" },
  { major: 7, range: "^7.0.0" },
  { major: 8, range: "^8.0.0" },
] as const;
const NODES = [20, 22] as const;
/** The floor of the Cloudflare plugin's peer range, and the wrangler that release pins. */
const FLOOR_PEERS = { "@cloudflare/vite-plugin": "1.34.0", wrangler: "4.86.0" } as const;
/** The Node whose npm installs the projects. */
const INSTALL_NODE = 22;

const CONFIG = "vite.config.mts";
const SEED = "src/scripts/seed.ts";
/** Written into each project: starts the project's own dev server (see DEV_SERVER_SOURCE). */
const DEV_SERVER_SCRIPT = "compat-dev-server.mjs";
const INSTALL_LIMIT_MS = 480_000;
/** Longer than any command here takes, shorter than Vitest's 120 s test timeout. */
const COMMAND_LIMIT_MS = 90_000;
const READY_LIMIT_MS = 60_000;
const CLOSE_LIMIT_MS = 15_000;
const REAP_LIMIT_MS = 5_000;

/**
 * Run with the Node under test in the project's root: the project's own Vite `createServer`
 * (so its own vite.config.mts, @cloudflare/vite-plugin and the packed plugin) on 127.0.0.1
 * and the port given as its argument (strict: Vite reads port 0 as its default, 5173). Prints one JSON line (URL, the route's token read from the
 * plugin as the launcher does, the Vite and Node versions), sends every log line to stderr,
 * and closes the server on SIGTERM.
 */
const DEV_SERVER_SOURCE = `import { createServer, version } from "vite";

const log = (level) => (message) => void process.stderr.write(\`[\${level}] \${message}\\n\`);
const customLogger = {
  hasWarned: false,
  info: log("info"),
  warn: log("warn"),
  warnOnce: log("warn"),
  error: log("error"),
  clearScreen: () => {},
  hasErrorLogged: () => false,
};
const server = await createServer({
  root: process.cwd(),
  customLogger,
  clearScreen: false,
  server: { host: "127.0.0.1", port: Number(process.argv[2]), strictPort: true },
});
let closing;
const close = () => (closing ??= server.close().finally(() => process.exit(0)));
process.on("SIGTERM", close);
process.on("SIGINT", close);
await server.listen();
const api = server.config.plugins.find((plugin) => plugin.name === "worker-run")?.api;
const token = typeof api?.getToken === "function" ? api.getToken() : (api?.token ?? null);
process.stdout.write(
  JSON.stringify({ url: server.resolvedUrls.local[0], token, vite: version, node: process.version }) + "\\n",
);
`;

// --- processes -------------------------------------------------------------------------------

/** Cleanups of the processes still running (kill the group, stop watching), by pid. */
const running = new Map<number, () => void>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * The environment of every command: npm's own `npm_*` variables dropped (an `npm test` run
 * must not point the inner npm at the repository), NODE_ENV dropped (`vite build` picks
 * production as it does for a user; npm installs the devDependencies), colours off, and the
 * Node under test first on PATH.
 */
function commandEnv(node: string): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !/^npm_/i.test(name) && name !== "NODE_ENV" && name !== "FORCE_COLOR",
  );
  return {
    ...Object.fromEntries(inherited),
    PATH: [path.dirname(node), process.env.PATH].join(path.delimiter),
    NO_COLOR: "1",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
}

/** A finished command, and the processes it started that outlived it (then killed). */
interface CommandResult extends CliResult {
  survivors: string[];
}

/**
 * Runs `command …args` to the end in `cwd`, in its own process group, output captured, with
 * `node` first on PATH. Past `limitMs` the group is killed. `watch`: also remember every
 * descendant and report, as `survivors`, those still alive shortly after the command exits.
 * Whatever is left of the group, or of the descendants seen, is killed before this resolves.
 */
function run(
  command: string,
  args: string[],
  options: { cwd: string; node: string; limitMs?: number; watch?: boolean },
): Promise<CommandResult> {
  const limit = options.limitMs ?? COMMAND_LIMIT_MS;
  const captured = spawnCaptured(command, args, { cwd: options.cwd, env: commandEnv(options.node), detached: true });
  const { child, pid } = captured;
  const watcher = options.watch ? watchDescendants(pid) : undefined;
  running.set(pid, () => {
    killGroup(pid);
    for (const { pid: descendant } of watcher?.stop() ?? []) killQuietly(descendant);
  });
  return new Promise<CommandResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      captured.note(`\n[test] ${command} ${args.join(" ")} did not finish within ${limit} ms; killed.`);
      killGroup(pid);
    }, limit);
    let finished = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const seen = watcher?.stop() ?? [];
      const deadline = Date.now() + REAP_LIMIT_MS;
      while (seen.some((info) => isAlive(info.pid)) && Date.now() < deadline) await sleep(100);
      const survivors = seen.filter((info) => isAlive(info.pid));
      running.get(pid)?.();
      running.delete(pid);
      const { stdout, stderr } = captured.output();
      resolve({ code, signal, stdout, stderr, pid, survivors: survivors.map((info) => `${info.name} (${info.pid})`) });
    };
    child.on("error", (error) => {
      clearTimeout(timer);
      running.get(pid)?.();
      running.delete(pid);
      reject(error);
    });
    // "close" comes once the output is all read; a process that escaped the group and holds
    // the pipes open would delay it for ever, so "exit" ends the wait a little later.
    child.on("close", (code, signal) => void finish(code, signal));
    child.on("exit", (code, signal) => void sleep(2_000).then(() => finish(code, signal)));
  });
}

/** A project dev server running in a child process of the Node under test. */
interface DevServerProcess {
  url: string;
  token: string;
  vite: string;
  node: string;
  /** Everything it printed so far (its log lines are on stderr). */
  output(): string;
  /** SIGTERM (the script closes the server), SIGKILL to the group if that is not enough; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts DEV_SERVER_SCRIPT in `app` with `node` on a free port; resolves once it printed its
 * URL. Another process may take the port between the check and the listen: then it tries again.
 */
async function startDevServer(app: string, node: string): Promise<DevServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOn(await freePort(), app, node);
    } catch (error) {
      if (attempt === 3 || !/already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startDevServerOn(port: number, app: string, node: string): Promise<DevServerProcess> {
  const captured = spawnCaptured(node, [DEV_SERVER_SCRIPT, String(port)], {
    cwd: app,
    env: commandEnv(node),
    detached: true,
  });
  const { child, pid } = captured;
  const watcher = watchDescendants(pid);
  const killAll = (): void => {
    killGroup(pid);
    for (const { pid: descendant } of watcher.stop()) killQuietly(descendant);
  };
  running.set(pid, killAll);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on("exit", () => resolve());
    child.on("error", () => resolve());
  }).then(() => void (exited = true));
  const output = (): string => {
    const { stdout, stderr } = captured.output();
    return `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      await Promise.race([exit, sleep(CLOSE_LIMIT_MS)]);
      if (!exited) {
        killGroup(pid);
        await Promise.race([exit, sleep(REAP_LIMIT_MS)]);
      }
      // workerd and anything else it started, killed with the group or closed by the server.
      const seen = watcher.stop();
      const deadline = Date.now() + REAP_LIMIT_MS;
      while (seen.some((info) => isAlive(info.pid)) && Date.now() < deadline) await sleep(100);
      killAll();
      running.delete(pid);
    })());

  try {
    const deadline = Date.now() + READY_LIMIT_MS;
    for (;;) {
      const line = captured.output().stdout.split("\n").find((text) => text.startsWith("{"));
      if (line) {
        const info = JSON.parse(line) as { url: string; token: string | null; vite: string; node: string };
        return { ...info, token: info.token ?? "", output, stop };
      }
      if (exited) throw new Error("The dev server process exited before it printed its URL.");
      if (Date.now() > deadline) throw new Error(`The dev server printed no URL within ${READY_LIMIT_MS} ms.`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output()}`);
  }
}

// --- files -----------------------------------------------------------------------------------

/** Relative path → SHA-256 of every file under `dir` (none: an empty map). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else files.set(path.relative(dir, full), createHash("sha256").update(await readFile(full)).digest("hex"));
    }
  };
  if (existsSync(dir)) await walk(dir);
  return files;
}

/** The files under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, files: Iterable<string>, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) if ((await readFile(path.join(dir, file))).includes(needle)) found.push(file);
  return found;
}

async function installedVersion(app: string, name: string): Promise<string> {
  const manifest = path.join(app, "node_modules", name, "package.json");
  if (!existsSync(manifest)) return "none";
  return (JSON.parse(await readFile(manifest, "utf8")) as { version: string }).version;
}

/**
 * Copies examples/d1-seed to `app` (outside the repository), pins the peers (the floor of the
 * Cloudflare plugin and wrangler, `viteRange`) and the packed package, and installs it with
 * `node`'s npm. Checks that what got installed is what the matrix claims.
 */
async function installProject(app: string, viteRange: string, tarball: string, node: string): Promise<void> {
  await cp(path.join(EXAMPLES_DIR, "d1-seed"), app, {
    recursive: true,
    filter: (file) => ![".wrangler", "node_modules", "dist", ".vite"].includes(path.basename(file)),
  });
  const manifestPath = path.join(app, "package.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  manifest.dependencies["vite-plugin-worker-run"] = `file:${tarball}`;
  manifest.devDependencies = { ...manifest.devDependencies, ...FLOOR_PEERS, vite: viteRange };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  await writeFile(path.join(app, DEV_SERVER_SCRIPT), DEV_SERVER_SOURCE);

  const started = performance.now();
  const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: app,
    node,
    limitMs: INSTALL_LIMIT_MS,
  });
  // Reported, not asserted.
  console.info(`npm install with vite ${viteRange} took ${Math.round(performance.now() - started)} ms`);
  if (installed.code !== 0) throw new Error(`npm install with vite ${viteRange} failed.\n${describeRun(installed)}`);
}

// --- the matrix ------------------------------------------------------------------------------

let workDir: string | undefined;
const cancelInstalls = new AbortController();
/** Node binaries by major; the projects by Vite major. Started at once in beforeAll. */
const nodeBinaries = new Map<number, Promise<string>>();
const projects = new Map<number, Promise<string>>();

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "wr-compat-"));
  const tarball = packRepository(workDir);
  for (const major of NODES) nodeBinaries.set(major, installNode(major, { signal: cancelInstalls.signal }));
  for (const { major, range } of VITES) {
    const app = path.join(workDir, `vite${major}`);
    const ready = Promise.all([tarball, nodeBinaries.get(INSTALL_NODE)!]).then(([packed, node]) =>
      installProject(app, range, packed, node).then(() => app),
    );
    projects.set(major, ready);
  }
  // Each describe awaits its own install and reports its failure there; none is unhandled.
  for (const pending of [tarball, ...nodeBinaries.values(), ...projects.values()]) pending.catch(() => {});
  // The pack is needed by every project: its failure is this file's.
  await tarball;
}, INSTALL_LIMIT_MS);

afterAll(async () => {
  cancelInstalls.abort();
  for (const cleanup of running.values()) cleanup();
  running.clear();
  await Promise.allSettled([...nodeBinaries.values(), ...projects.values()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe.each(VITES)("Vite $major with @cloudflare/vite-plugin 1.34.0 and wrangler 4.86.0", ({ major }) => {
  let app: string;

  beforeAll(async () => {
    app = await projects.get(major)!;
    const versions = {
      vite: await installedVersion(app, "vite"),
      cloudflare: await installedVersion(app, "@cloudflare/vite-plugin"),
      wrangler: await installedVersion(app, "wrangler"),
    };
    expect(versions.vite.split(".")[0], `node_modules/vite is ${versions.vite}`).toBe(String(major));
    expect(versions.cloudflare).toBe(FLOOR_PEERS["@cloudflare/vite-plugin"]);
    expect(versions.wrangler).toBe(FLOOR_PEERS.wrangler);
    // One Vite for all: the Cloudflare plugin and ours use the project's.
    for (const nested of ["@cloudflare/vite-plugin", "vite-plugin-worker-run"]) {
      expect(existsSync(path.join(app, "node_modules", nested, "node_modules/vite")), `${nested} has a Vite of its own`).toBe(
        false,
      );
    }
    // Unpacked from the tarball, not linked back to the repository.
    expect((await lstat(path.join(app, "node_modules/vite-plugin-worker-run"))).isSymbolicLink()).toBe(false);
  }, INSTALL_LIMIT_MS + 60_000);

  afterAll(() => {
    if (app) removeProjectFiles({ dir: app, remove: async () => {} });
  });

  describe.each(NODES)("on Node %i", (nodeMajor) => {
    let node: string;

    beforeAll(async () => {
      node = await nodeBinaries.get(nodeMajor)!;
    }, INSTALL_LIMIT_MS);

    test("the installed bin runs the seed and leaves no process behind", async () => {
      // Fresh local state: the project is shared by both Node versions.
      await rm(path.join(app, ".wrangler"), { recursive: true, force: true });
      const seeded = await run(node, [path.join(app, "node_modules/.bin/worker-run"), SEED, "5"], {
        cwd: app,
        node,
        watch: true,
      });
      expect(seeded.code, describeRun(seeded)).toBe(0);
      expect(seeded.stdout, describeRun(seeded)).toBe(
        `Inserted 5 notes.\n${JSON.stringify({ inserted: 5, total: 5 }, null, 2)}\n`,
      );
      expect(seeded.stderr, describeRun(seeded)).toContain(`✔ ${SEED} finished`);
      expect(seeded.survivors, describeRun(seeded)).toEqual([]);
    });

    test("--worker knows the workers of that @cloudflare/vite-plugin: the entry by name, an unknown name listed", async () => {
      const bin = path.join(app, "node_modules/.bin/worker-run");
      const named = await run(node, [bin, "--json", "--worker", "d1-seed", "-e", "typeof env.DB"], { cwd: app, node });
      expect(named.code, describeRun(named)).toBe(0);
      expect(JSON.parse(named.stdout), describeRun(named)).toEqual({ ok: true, result: "object" });
      const unknown = await run(node, [bin, "--worker", "billing", "-e", "1"], { cwd: app, node });
      expect(unknown.code, describeRun(unknown)).toBe(2);
      expect(unknown.stderr, describeRun(unknown)).toContain('No worker named "billing" in this dev server. Its workers: d1-seed (the entry worker).');
    });

    test("a dev server of that Vite runs no script for a POST without the token or from another origin", async () => {
      // Fresh local state, so the count the valid run returns shows what the refused ones did.
      await rm(path.join(app, ".wrangler"), { recursive: true, force: true });
      const server = await startDevServer(app, node);
      try {
        expect(server.node.split(".")[0], server.output()).toBe(`v${nodeMajor}`);
        expect(server.vite.split(".")[0], server.output()).toBe(String(major));
        expect(server.token, `no worker-run token from the plugin's api\n${server.output()}`).toMatch(/\S{16,}/);
        const post = (headers: Record<string, string>, args: string[]): Promise<RawResponse> =>
          rawRequest(server.url, {
            path: ROUTE_PATH,
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify({ script: SEED, args }),
          });
        const show = (response: RawResponse): string =>
          `${response.status} ${JSON.stringify(response.headers)}\n${response.body}\n${server.output()}`;

        const refused = {
          "no token": await post({}, ["3"]),
          "another origin": await post({ [TOKEN_HEADER]: server.token, origin: "https://evil.example" }, ["3"]),
        };
        for (const [name, response] of Object.entries(refused)) {
          // Refused by the route (a 4xx with its marker, today), or passed to the app as if the
          // plugin were not there: either way not the answer of a run, and no echo of the token.
          const answeredAsRun = response.status < 400 && response.headers[RESPONSE_MARKER_HEADER] !== undefined;
          expect(answeredAsRun, `${name}: ${show(response)}`).toBe(false);
          expect(response.body.includes(server.token), `${name}: the token in the body`).toBe(false);
        }

        // The side effect: a valid run on the same state counts the rows. Each refused request
        // would have inserted 3.
        const allowed = await post({ [TOKEN_HEADER]: server.token }, ["1"]);
        expect(allowed.status, show(allowed)).toBe(200);
        expect(JSON.parse(allowed.body), show(allowed)).toMatchObject({ ok: true, result: { inserted: 1, total: 1 } });
        expect(server.output(), "a refused request ran the seed").not.toContain("Inserted 3 notes.");
      } finally {
        await server.stop();
      }
    });

    test("vite build writes byte-identical output with and without workerRun()", async () => {
      const vite = path.join(app, "node_modules/vite/bin/vite.js");
      const configPath = path.join(app, CONFIG);
      const config = await readFile(configPath, "utf8");
      const outDir = path.join(app, "dist");
      try {
        await rm(outDir, { recursive: true, force: true });
        const first = await run(node, [vite, "build"], { cwd: app, node });
        expect(first.code, describeRun(first)).toBe(0);
        const withPlugin = await snapshot(outDir);
        const traces = await filesContaining(outDir, withPlugin.keys(), ROUTE_PATH.slice(1));
        await rm(outDir, { recursive: true, force: true });

        await writeFile(configPath, withoutWorkerRun(config, CONFIG));
        const second = await run(node, [vite, "build"], { cwd: app, node });
        expect(second.code, describeRun(second)).toBe(0);
        const withoutPlugin = await snapshot(outDir);

        const log = `--- with workerRun() ---\n${describeRun(first)}\n--- without ---\n${describeRun(second)}`;
        expect([...withPlugin.keys()].some((file) => file.endsWith(".js")), `the build wrote no JavaScript\n${log}`).toBe(
          true,
        );
        expect(Object.fromEntries(withPlugin), log).toEqual(Object.fromEntries(withoutPlugin));
        expect(traces, `${ROUTE_PATH.slice(1)} in the build output`).toEqual([]);
      } finally {
        await writeFile(configPath, config);
        await rm(outDir, { recursive: true, force: true });
      }
    });
  });
});
