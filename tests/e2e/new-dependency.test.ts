/**
 * A script that imports an npm package the app never uses runs on the first try with a cold
 * Vite dependency cache, both in a fresh server and in a `vite dev` that is already running
 * (where Vite has to optimise the new dependency while serving).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev } from "../helpers/vite-dev-process.js";

let project: TempProject;

beforeEach(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "long-run"));
});

afterEach(async () => {
  await project?.remove();
});

const EXPECTED = `${JSON.stringify({ idLength: 21 }, null, 2)}\n`;

test("fresh server, cold cache: the first run works", async () => {
  expect(existsSync(path.join(project.dir, ".vite"))).toBe(false);
  const result = await runCli(["src/scripts/new-dependency.ts"], { cwd: project.dir });
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stdout, describeRun(result)).toBe(EXPECTED);
});

test("running vite dev, cold cache: the first attached run works, and the server keeps serving", async () => {
  const dev = await startViteDev(project.dir);
  try {
    const result = await runCli(["src/scripts/new-dependency.ts"], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stderr, describeRun(result)).toContain("Running in the dev server at");
    expect(result.stdout, describeRun(result)).toBe(EXPECTED);
    const page = await dev.get("/");
    expect(page.body).toBe("long-run fixture\n");
  } finally {
    const stopped = await dev.stop();
    expect(stopped.survivors).toEqual([]);
  }
});
