import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { postRun, rawRequest, startTestServer, type RawRequest, type TestServer } from "./dev-server.js";
import { copyProject, type TempProject } from "./temp-project.js";
import { usesWorkerRun, withoutWorkerRun } from "./vite-config.js";

/** Status and body of one answer, the part of it a user's client sees and compares. */
export interface Reply {
  request: string;
  status: number;
  body: string;
}

/** Sends `requests` one after another (order matters: some change state) and keeps each answer. */
export async function exchange(url: string, requests: RawRequest[]): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const request of requests) {
    let { status, body } = await rawRequest(url, { method: "GET", ...request });
    // workerd closes the connection of a request its worker failed; Miniflare 5 may send the
    // next request on that pooled connection, which then fails before reaching the worker
    // ("fetch failed"), with or without workerRun(). A GET is safe to send once more.
    if ((request.method ?? "GET") === "GET" && status === 500 && body.includes('"message":"fetch failed"')) {
      ({ status, body } = await rawRequest(url, { method: "GET", ...request }));
    }
    replies.push({ request: `${request.method ?? "GET"} ${request.path}`, status, body });
  }
  return replies;
}

/** Runs the worker's `scheduled` handler through the dev server, as `wrangler dev --test-scheduled` does. */
export async function triggerScheduled(url: string, cron: string): Promise<Reply> {
  const [reply] = await exchange(url, [{ path: `/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}` }]);
  return reply!;
}

/** Posts a run to the route and parses the JSON answer. */
export async function runThroughRoute(server: TestServer, script: string, args: string[] = []): Promise<unknown> {
  const response = await postRun(server, { script, args });
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new Error(`Expected JSON from the route, got ${response.status}: ${response.body.slice(0, 500)}`);
  }
}

/** The message of the error Vite's dev server renders as its HTML error page. */
export function errorPageMessage(html: string): string | undefined {
  const match = /const error = (\{.*\})\n/.exec(html);
  return match ? (JSON.parse(match[1]!) as { message: string }).message : undefined;
}

/** The 1-based number of the line of `file` that contains `needle`. */
export async function lineOf(file: string, needle: string): Promise<number> {
  const lines = (await readFile(file, "utf8")).split("\n");
  const index = lines.findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`Expected ${file} to contain ${JSON.stringify(needle)}.`);
  return index + 1;
}

/** Replaces the one occurrence of `from` in `file`, as an editor would save it. */
export async function editFile(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, "utf8");
  if (text.split(from).length !== 2) throw new Error(`Expected ${file} to contain ${JSON.stringify(from)} exactly once.`);
  await writeFile(file, text.replace(from, to));
}

/**
 * Writes a copy of the project's Vite config without `workerRun()` and its import, so the
 * same project can be served as it would be without the plugin.
 */
export async function writeConfigWithoutWorkerRun(dir: string, configName = "vite.config.mts"): Promise<string> {
  const text = await readFile(path.join(dir, configName), "utf8");
  if (!usesWorkerRun(text)) throw new Error(`Expected a workerRun() call in ${configName}.`);
  const stripped = withoutWorkerRun(text, configName);
  const file = path.join(dir, `without-worker-run.${configName}`);
  await writeFile(file, stripped);
  return file;
}

/** A temp copy of a fixture, what it answered without the plugin, and its server with the plugin. */
export interface ShapeProject<Baseline> {
  project: TempProject;
  /** What `recordBaseline` returned on the server without workerRun(), from fresh local state. */
  baseline: Baseline;
  /** The project's own dev server with workerRun(), also from fresh local state. */
  server: TestServer;
  /** Closes the server (once) and removes the copy. */
  close(): Promise<void>;
  /** Closes the server early, e.g. before the launcher starts its own on the same state. */
  closeServer(): Promise<void>;
}

/**
 * Copies `fixture`, serves it without workerRun() to record `recordBaseline`, wipes the
 * local state (.wrangler) so both servers start alike, then serves it with the plugin.
 */
export async function openShapeProject<Baseline>(
  fixture: string,
  recordBaseline: (url: string) => Promise<Baseline>,
): Promise<ShapeProject<Baseline>> {
  const project = await copyProject(fixture);
  let server: TestServer | undefined;
  try {
    const plain = await startTestServer(project.dir, await writeConfigWithoutWorkerRun(project.dir));
    let baseline: Baseline;
    try {
      if (plain.token !== "") throw new Error("Expected the baseline server to run without workerRun().");
      baseline = await recordBaseline(plain.url);
    } finally {
      await plain.close();
    }
    await rm(path.join(project.dir, ".wrangler"), { recursive: true, force: true });
    server = await startTestServer(project.dir);
    if (server.token === "") throw new Error("Expected the fixture's own config to include workerRun().");
    let closing: Promise<void> | undefined;
    const closeServer = (): Promise<void> => (closing ??= server!.close());
    return {
      project,
      baseline,
      server,
      closeServer,
      close: async () => {
        try {
          await closeServer();
        } finally {
          await project.remove();
        }
      },
    };
  } catch (error) {
    await server?.close();
    await project.remove();
    throw error;
  }
}
