// Inert in vite preview: build a copy of examples/d1-seed with `vite build`
// (the CLI, as a user runs it), then serve the build with Vite's preview() and the same
// config, which includes workerRun(). The plugin must not be part of the preview server, and
// a request shaped like the launcher's (POST, JSON, a token) must reach the app itself.
import type { AddressInfo } from "node:net";
import path from "node:path";
import { preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { PLUGIN_NAME } from "../../plugin/plugin.js";
import { RESPONSE_MARKER_HEADER, TOKEN_HEADER } from "../../shared/protocol.js";
import { createCapturingLogger, rawRequest, type RawResponse, type TestServer } from "../helpers/dev-server.js";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { descendantsOf } from "../helpers/processes.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { viteBuild } from "../helpers/vite-build.js";

/** What the example's fetch answers for any path but /api/notes. */
const APP_ANSWER = "d1-seed example: GET /api/notes lists the seeded notes.\n";

let project: TempProject;
let previewServer: PreviewServer | undefined;
let url: string;
const logs: TestServer["logs"] = [];
const logger = createCapturingLogger(logs);

beforeAll(async () => {
  project = await copyProject(path.join(EXAMPLES_DIR, "d1-seed"));
  const build = await viteBuild(project.dir);
  if (build.code !== 0) throw new Error(`vite build failed (exit ${build.code}):\n${build.output}`);
  previewServer = await preview({
    root: project.dir,
    configFile: path.join(project.dir, "vite.config.mts"),
    customLogger: logger,
    clearScreen: false,
    preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
  });
  const { port } = previewServer.httpServer.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  try {
    await previewServer?.close();
  } finally {
    await project?.remove();
  }
});

/** The workerd processes below this test process (the preview's Miniflare starts one). */
const ourWorkerds = (): number[] =>
  descendantsOf(process.pid)
    .filter((info) => info.name === "workerd")
    .map((info) => info.pid);

const shown = (response: RawResponse): string =>
  `${response.status} ${JSON.stringify(response.headers)}\n${response.body.slice(0, 500)}\n` +
  `--- logs ---\n${logs.map(({ level, message }) => `${level}: ${message}`).join("\n")}`;

test("the preview server serves the built app, with the Cloudflare plugin and without workerRun()", async () => {
  const names = previewServer!.config.plugins.map((plugin) => plugin.name);
  expect(names.some((name) => name.startsWith("vite-plugin-cloudflare")), names.join(", ")).toBe(true);
  expect(names, names.join(", ")).not.toContain(PLUGIN_NAME);
  expect(names.filter((name) => name.includes("worker-run")), names.join(", ")).toEqual([]);

  const home = await rawRequest(url, { method: "GET", path: "/" });
  expect(home.status, shown(home)).toBe(200);
  expect(home.body, shown(home)).toBe(APP_ANSWER);
});

test("a launcher-shaped POST to /__worker-run reaches the app, not a route", async () => {
  const response = await rawRequest(url, {
    headers: { "content-type": "application/json", [TOKEN_HEADER]: "a".repeat(64) },
    body: JSON.stringify({ script: "src/scripts/seed.ts", args: ["1"] }),
  });
  expect(response.headers[RESPONSE_MARKER_HEADER], shown(response)).toBeUndefined();
  expect(response.status, shown(response)).toBe(200);
  expect(response.body, shown(response)).toBe(APP_ANSWER);
  expect(response.headers["content-type"], shown(response)).not.toMatch(/json/);
});

test("closing the preview server stops its workerd", async () => {
  // A request first, so the worker is surely running whatever the tests above did.
  const home = await rawRequest(url, { method: "GET", path: "/" });
  expect(home.body, shown(home)).toBe(APP_ANSWER);
  const before = ourWorkerds();
  expect(before.length, "the preview should run the built worker in workerd").toBeGreaterThan(0);
  const closing = previewServer!;
  previewServer = undefined;
  await closing.close();
  await vi.waitFor(() => expect(ourWorkerds().filter((pid) => before.includes(pid))).toEqual([]), {
    timeout: 15_000,
    interval: 100,
  });
});
