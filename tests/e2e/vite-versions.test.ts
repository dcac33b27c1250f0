// The peer range claims Vite 6 and 7 as well as 8 (issue 3: no untested claim). For each
// older major, a copy of examples/d1-seed outside the repository installs the packed
// package with that Vite pinned (the Cloudflare plugin and wrangler as in the example), and
// must: run the seed with the installed bin; keep the route's own defences on a dev server
// of THAT Vite (Vite 6 runs plugin middlewares before its host/CORS checks, so the worker's
// checks must hold by themselves); and build byte-identical output with and without workerRun().
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { WorkerRunApi } from "../../plugin/plugin.js";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER, type RunResponse } from "../../shared/protocol.js";
import { rawRequest, type RawResponse } from "../helpers/dev-server.js";
import { packRepository } from "../helpers/pack.js";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { describeRun, type CliResult } from "../helpers/run-cli.js";

const VERSIONS = [
  { major: 6, range: "^6.1.0" },
  { major: 7, range: "^7.0.0" },
];
const CONFIG = "vite.config.mts";
const SEED = "src/scripts/seed.ts";
const INSTALL_TIMEOUT_MS = 600_000;
const COMMAND_TIMEOUT_MS = 240_000;

/** Process groups still running, killed if a test ends (or times out) before they do. */
const running = new Set<number>();

/**
 * Runs a command to the end in its own process group, output captured, colours off. npm's
 * own `npm_*` variables are dropped, so an `npm test` run does not point the inner npm at the
 * repository; NODE_ENV is dropped, so `vite build` picks production as it does for a user.
 */
function run(command: string, args: string[], cwd: string): Promise<CliResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== "NODE_ENV" && name !== "FORCE_COLOR"),
  );
  const child = spawn(command, args, {
    cwd,
    env: { ...env, NO_COLOR: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stderr += `\n[test] ${command} ${args.join(" ")} did not finish within ${COMMAND_TIMEOUT_MS} ms; killed.`;
      killGroup(child.pid!);
    }, COMMAND_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

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

/** The example's config with workerRun() and its import taken out; throws if that is not possible. */
function withoutWorkerRun(config: string): string {
  const stripped = config
    .replace(/^import \{ workerRun \} from "vite-plugin-worker-run";\n/m, "")
    .replace(/,\s*workerRun\(\)/, "");
  if (/workerRun|vite-plugin-worker-run/.test(stripped)) {
    throw new Error(`Expected to be able to take workerRun() out of ${CONFIG}, but it still mentions it:\n${stripped}`);
  }
  return stripped;
}

let packDir: string;
let tarball: string;

beforeAll(async () => {
  packDir = await mkdtemp(path.join(os.tmpdir(), "wr-vite-versions-pack-"));
  tarball = await packRepository(packDir);
});

afterAll(async () => {
  for (const pid of running) killGroup(pid);
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

describe.each(VERSIONS)("Vite $major, installed next to the packed package", ({ major, range }) => {
  let tempDir: string;
  let app: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), `wr-vite${major}-`));
    app = path.join(tempDir, "d1-seed");
    await cp(path.join(EXAMPLES_DIR, "d1-seed"), app, {
      recursive: true,
      filter: (file) => ![".wrangler", "node_modules", "dist", ".vite"].includes(path.basename(file)),
    });
    const manifestPath = path.join(app, "package.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    // The example's own pins must still be the ones this test claims to keep.
    expect(manifest.devDependencies["@cloudflare/vite-plugin"]).toBe("1.34.0");
    expect(manifest.devDependencies.wrangler).toBe("4.86.0");
    manifest.dependencies["vite-plugin-worker-run"] = `file:${tarball}`;
    manifest.devDependencies.vite = range;
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));

    const started = performance.now();
    const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], app);
    const vitePackage = path.join(app, "node_modules/vite/package.json");
    const version = existsSync(vitePackage)
      ? (JSON.parse(await readFile(vitePackage, "utf8")) as { version: string }).version
      : "none";
    // Reported, not asserted.
    console.info(`npm install with vite ${range} took ${Math.round(performance.now() - started)} ms (vite ${version})`);
    expect(installed.code, describeRun(installed)).toBe(0);
    expect(version.split(".")[0], `node_modules/vite is ${version}`).toBe(String(major));
    // Unpacked from the tarball, not linked back to the repository.
    expect((await lstat(path.join(app, "node_modules/vite-plugin-worker-run"))).isSymbolicLink()).toBe(false);
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  test("the installed bin runs the seed", async () => {
    const seeded = await run(process.execPath, [path.join(app, "node_modules/.bin/worker-run"), SEED, "5"], app);
    expect(seeded.code, describeRun(seeded)).toBe(0);
    expect(seeded.stdout, describeRun(seeded)).toBe(
      `Inserted 5 notes.\n${JSON.stringify({ inserted: 5, total: 5 }, null, 2)}\n`,
    );
    expect(seeded.stderr, describeRun(seeded)).toContain(`✔ ${SEED} finished`);
  });

  test("that Vite's dev server refuses a run without the token or from another origin, and runs one with it", async () => {
    // Fresh local state, so the count the valid run returns shows what the refused ones did.
    await rm(path.join(app, ".wrangler"), { recursive: true, force: true });
    const vite = (await import(
      pathToFileURL(path.join(app, "node_modules/vite/dist/node/index.js")).href
    )) as typeof import("vite");
    expect(vite.version.split(".")[0], `imported vite ${vite.version}`).toBe(String(major));
    const logs: string[] = [];
    const capture = (message: string): void => void logs.push(message);
    const logger: Logger = {
      hasWarned: false,
      info: capture,
      warn: capture,
      warnOnce: capture,
      error: capture,
      clearScreen: () => {},
      hasErrorLogged: () => false,
    };
    const server = await vite.createServer({
      root: app,
      customLogger: logger,
      clearScreen: false,
      server: { host: "127.0.0.1", port: 0 },
    });
    try {
      await server.listen();
      const url = server.resolvedUrls!.local[0]!;
      const api = server.config.plugins.find((plugin) => plugin.name === "worker-run")?.api as WorkerRunApi | undefined;
      expect(api?.token, "no worker-run plugin api on the server").toMatch(/\S{16,}/);
      const post = (headers: Record<string, string>, args: string[]): Promise<RawResponse> =>
        rawRequest(url, {
          path: ROUTE_PATH,
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ script: SEED, args }),
        });
      const show = (response: RawResponse): string =>
        `${response.status} ${response.body}\n--- server log ---\n${logs.join("\n")}`;

      // Refused by the worker's own guard (its marker header and sentence), not by Vite.
      const noToken = await post({}, ["3"]);
      expect(noToken.status, show(noToken)).toBe(403);
      expect(noToken.headers[RESPONSE_MARKER_HEADER], show(noToken)).toBe("1");
      expect(JSON.parse(noToken.body), show(noToken)).toMatchObject({
        ok: false,
        kind: "forbidden",
        error: { message: "Missing or wrong worker-run token." },
      });
      const crossOrigin = await post({ [TOKEN_HEADER]: api!.token, origin: "https://evil.example" }, ["3"]);
      expect(crossOrigin.status, show(crossOrigin)).toBe(403);
      expect(crossOrigin.headers[RESPONSE_MARKER_HEADER], show(crossOrigin)).toBe("1");
      expect(JSON.parse(crossOrigin.body), show(crossOrigin)).toMatchObject({
        ok: false,
        kind: "forbidden",
        error: { message: "Cross-origin requests cannot run scripts." },
      });
      expect(logs.filter((line) => line.includes("Inserted")), "a refused request ran the seed").toEqual([]);

      const allowed = await post({ [TOKEN_HEADER]: api!.token }, ["1"]);
      expect(allowed.status, show(allowed)).toBe(200);
      const answer = JSON.parse(allowed.body) as RunResponse;
      expect(answer, show(allowed)).toMatchObject({ ok: true, result: { inserted: 1, total: 1 } });
      expect(logs.filter((line) => line.includes("Inserted")), show(allowed)).toEqual([
        expect.stringContaining("Inserted 1 notes."),
      ]);
    } finally {
      await server.close();
    }
  });

  test("vite build writes byte-identical output with and without workerRun()", async () => {
    const vite = path.join(app, "node_modules/vite/bin/vite.js");
    const configPath = path.join(app, CONFIG);
    const config = await readFile(configPath, "utf8");
    const outDir = path.join(app, "dist");
    try {
      await rm(outDir, { recursive: true, force: true });
      const first = await run(process.execPath, [vite, "build"], app);
      expect(first.code, describeRun(first)).toBe(0);
      const withPlugin = await snapshot(outDir);
      await rm(outDir, { recursive: true, force: true });

      await writeFile(configPath, withoutWorkerRun(config));
      const second = await run(process.execPath, [vite, "build"], app);
      expect(second.code, describeRun(second)).toBe(0);
      const withoutPlugin = await snapshot(outDir);

      const log = `--- with workerRun() ---\n${describeRun(first)}\n--- without ---\n${describeRun(second)}`;
      expect([...withPlugin.keys()].some((file) => file.endsWith(".js")), `the build wrote no JavaScript\n${log}`).toBe(
        true,
      );
      expect(Object.fromEntries(withPlugin), log).toEqual(Object.fromEntries(withoutPlugin));
    } finally {
      await writeFile(configPath, config);
    }
  });
});
