/**
 * SECURITY R1: the route's secret is 256 random bits that travel only in a request header:
 * never in a URL, argv, or a log line. A `vite dev` (as a user runs it) and an attached
 * launcher with debug logging on both run a script; neither prints the token, and the
 * launcher's command line does not carry it. The token is read from the server's discovery
 * record, the one place it is meant to be.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { DiscoveryRecord } from "../../plugin/discovery.js";
import { recordFileOf, removeProjectFiles } from "../helpers/attach-streaming.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, spawnCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

let project: TempProject;
let dev: ViteDevProcess;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "attach"));
  dev = await startViteDev(project.dir);
});

afterAll(async () => {
  try {
    await dev?.stop();
  } finally {
    removeProjectFiles(project);
    await project?.remove();
  }
});

test("the token is 256 bits, and neither the dev server's output nor an attached launcher's shows it", async () => {
  const record = JSON.parse(readFileSync(recordFileOf(project), "utf8")) as DiscoveryRecord;
  expect(record.token).toMatch(/^[0-9a-f]{64}$/);

  const running = spawnCli(["src/scripts/fast.ts", "hygiene"], {
    cwd: project.dir,
    env: { NODE_DEBUG: "worker-run" },
  });
  const commandLine = readFileSync(`/proc/${running.pid}/cmdline`, "utf8");
  const result = await running.exited;
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stderr, describeRun(result)).toContain("Running in the dev server at");
  expect(commandLine).not.toContain(record.token);
  expect(result.stdout + result.stderr).not.toContain(record.token);

  const { exit } = await dev.stop();
  expect(exit.stdout + exit.stderr).toContain("VITE");
  expect(exit.stdout + exit.stderr).not.toContain(record.token);
});
