/**
 * Launchers started at the same moment on a project with no dev server running: one starts
 * the server, the others wait for it and run there, so every write lands in one state
 * (two workerd processes on one state folder would not share Durable Object state).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, spawnCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

/** The seed's result: the last lines of stdout, after its log line. */
function seedResult(result: CliResult): { inserted: number; total: number } {
  const stdout = result.stdout;
  return JSON.parse(stdout.slice(stdout.indexOf("{"))) as { inserted: number; total: number };
}

describe.each(["durable-object-sqlite", "d1-seed"])("examples/%s", (example) => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(EXAMPLES_DIR, example));
  });

  afterAll(async () => {
    await project?.remove();
  });

  test("three launchers at once share one dev server, and every write is kept", async () => {
    const counts = [3, 4, 5];
    const runs = await Promise.all(
      counts.map((count) => spawnCli(["src/scripts/seed.ts", String(count)], { cwd: project.dir }).exited),
    );
    const all = runs.map(describeRun).join("\n\n");
    for (const run of runs) expect(run.code, all).toBe(0);
    // Exactly one of them started a server; the others ran in it.
    expect(runs.filter((run) => run.stderr.includes("Starting the dev server…")), all).toHaveLength(1);
    expect(runs.filter((run) => run.stderr.includes("Running in the dev server at")), all).toHaveLength(2);
    // One state: each run's total counts at least its own rows, and the last of them all 3+4+5.
    const results = runs.map(seedResult);
    for (const result of results) expect(result.total, all).toBeGreaterThanOrEqual(result.inserted);
    expect(Math.max(...results.map((result) => result.total)), all).toBe(12);

    // A later, separate run sees all of them: nothing was written to a second, private state.
    const after = await runCli(["src/scripts/seed.ts", "1"], { cwd: project.dir });
    expect(after.code, describeRun(after)).toBe(0);
    expect(after.stderr, describeRun(after)).toContain("Starting the dev server…");
    expect(seedResult(after), describeRun(after)).toEqual({ inserted: 1, total: 13 });
  });
});
