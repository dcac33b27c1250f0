// When the dev server listens beyond loopback (`server.host: "0.0.0.0"`, as
// `vite --host` sets it), the route is off, with a one-line warning, unless the user opts in
// with workerRun({ allowNetwork: true }). The launcher is unaffected: it starts its own server
// on 127.0.0.1 whatever the config says.
//
// The servers are started with Vite's createServer directly (startTestServer forces
// 127.0.0.1), one after the other, on one copy of tests/fixtures/network-exposure: the
// second server reads the KV marker the first one would have left had it imported marker.ts.
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { WorkerRunApi } from "../../plugin/plugin.js";
import { RESPONSE_MARKER_HEADER } from "../../shared/protocol.js";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { createCapturingLogger, postRun, type RawResponse } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const FIXTURE = path.join(FIXTURES_DIR, "network-exposure");
const MARKER_SCRIPT = "src/scripts/marker.ts";
const READ_MARKER_SCRIPT = "src/scripts/read-marker.ts";
const MARKER_LOG_LINE = "NETWORK-EXPOSURE-FIXTURE: marker.ts was imported";
const APP_ANSWER = "network-exposure fixture: the app answered.\n";

/** A dev server listening where its config says, reached on 127.0.0.1, with the plugin's api. */
interface ExposedServer {
  server: ViteDevServer;
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** The bound address, to show the config's host took effect. */
  address: string;
  api: WorkerRunApi;
  token: string;
  logs: { level: "info" | "warn" | "error"; message: string }[];
  close(): Promise<void>;
}

/** Starts `root` with `configFile` as it is (its own server.host), on a free port, logs captured. */
async function startExposedServer(root: string, configFile: string): Promise<ExposedServer> {
  const logs: ExposedServer["logs"] = [];
  const logger = createCapturingLogger(logs);
  const server = await createServer({
    root,
    configFile: path.join(root, configFile),
    customLogger: logger,
    clearScreen: false,
    server: { port: 0, strictPort: false, open: false },
  });
  try {
    await server.listen();
    const { address, port } = server.httpServer!.address() as AddressInfo;
    const api = server.config.plugins.find((plugin) => plugin.name === "worker-run")?.api as WorkerRunApi | undefined;
    if (!api) throw new Error(`Expected ${configFile} to include workerRun().`);
    const url = `http://127.0.0.1:${port}/`;
    return { server, url, address, api, token: api.getToken(), logs, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** The captured log lines that mention the opt-in option. */
const allowNetworkWarnings = (target: ExposedServer): string[] =>
  target.logs
    .filter((entry) => entry.message.includes("allowNetwork"))
    .map((entry) => `${entry.level}: ${entry.message}`);

const markerLogged = (target: ExposedServer): boolean =>
  target.logs.some((entry) => entry.message.includes(MARKER_LOG_LINE));

const shown = (response: RawResponse): string =>
  `${response.status} ${JSON.stringify(response.headers)}\n${response.body.slice(0, 500)}`;

describe("a dev server on 0.0.0.0", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(FIXTURE);
  });

  afterAll(async () => {
    await project?.remove();
  });

  test("without allowNetwork: one warning line, the route off, the script not imported", async () => {
    const exposed = await startExposedServer(project.dir, "vite.config.mts");
    try {
      expect(exposed.address, "the fixture's server.host should bind every interface").toBe("0.0.0.0");
      const warnings = allowNetworkWarnings(exposed);
      expect(warnings, JSON.stringify(exposed.logs)).toHaveLength(1);
      expect(warnings[0]).toBe(
        "warn: [worker-run] The dev server listens beyond loopback " +
          '(server.host = "0.0.0.0"), so /__worker-run is off. ' +
          "Pass workerRun({ allowNetwork: true }) to keep it on.",
      );
      expect(exposed.api.enabled).toBe(false);
      expect(exposed.token, "the plugin still has a token; the route must ignore it").toMatch(/^\S{16,}$/);

      // The launcher's request, on loopback, with the right token: it reaches the app, not the route.
      const response = await postRun(exposed, { script: MARKER_SCRIPT });
      expect(response.headers[RESPONSE_MARKER_HEADER], shown(response)).toBeUndefined();
      expect(response.status, shown(response)).toBe(200);
      expect(response.body, shown(response)).toBe(APP_ANSWER);
      expect(markerLogged(exposed), JSON.stringify(exposed.logs)).toBe(false);
    } finally {
      await exposed.close();
    }
  });

  test("with allowNetwork: no warning, the route works (and finds no marker from the first server)", async () => {
    const exposed = await startExposedServer(project.dir, "vite.config.allow-network.mts");
    try {
      expect(exposed.address).toBe("0.0.0.0");
      expect(allowNetworkWarnings(exposed), JSON.stringify(exposed.logs)).toEqual([]);
      expect(exposed.api.enabled).toBe(true);

      // Same project state as the first server: had it imported marker.ts, the KV key would be set.
      const before = await postRun(exposed, { script: READ_MARKER_SCRIPT });
      expect(before.headers[RESPONSE_MARKER_HEADER], shown(before)).toBe("1");
      expect(JSON.parse(before.body), shown(before)).toMatchObject({ ok: true, result: null });

      // Both detectors see an import when one happens.
      const run = await postRun(exposed, { script: MARKER_SCRIPT });
      expect(run.headers[RESPONSE_MARKER_HEADER], shown(run)).toBe("1");
      expect(JSON.parse(run.body), shown(run)).toMatchObject({ ok: true });
      await vi.waitFor(() => expect(markerLogged(exposed), JSON.stringify(exposed.logs)).toBe(true), {
        timeout: 10_000,
        interval: 100,
      });
      const after = await postRun(exposed, { script: READ_MARKER_SCRIPT });
      expect(JSON.parse(after.body), shown(after)).toMatchObject({ ok: true, result: "imported" });
    } finally {
      await exposed.close();
    }
  });
});

describe("the launcher in a project whose config says 0.0.0.0", () => {
  test("runs the script (exit 0): it starts its own server on 127.0.0.1, so nothing to warn about", async () => {
    const project = await copyProject(FIXTURE);
    try {
      const result = await runCliBounded([READ_MARKER_SCRIPT], { cwd: project.dir });
      expect(result.code, describeRun(result)).toBe(0);
      expect(result.stdout, describeRun(result)).toBe("null\n");
      expect(result.stderr, describeRun(result)).not.toContain("allowNetwork");
      expect(result.stderr, describeRun(result)).toContain(`${READ_MARKER_SCRIPT} finished`);
    } finally {
      await project.remove();
    }
  });
});
