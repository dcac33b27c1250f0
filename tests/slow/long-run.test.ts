/**
 * A script that runs for six minutes, longer than Node's default 300 s HTTP timeouts, and
 * logs once a minute: the answer starts at once, stays open, and the run ends normally.
 * Slow on purpose (about six and a half minutes); it runs in CI.
 */
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, spawnCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const MINUTES = 6;
let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "long-run"));
});

afterAll(async () => {
  await project?.remove();
});

test(
  `a ${MINUTES}-minute script finishes with exit 0, its result, and a line each minute as it happens`,
  async () => {
    const running = spawnCli(["src/scripts/long.ts", String(MINUTES)], { cwd: project.dir });
    try {
      // The first minute's line arrives while the script still runs (streamed, not at the end).
      const firstLineSeenWhileRunning = await new Promise<boolean>((resolve) => {
        const check = setInterval(() => {
          if (running.output().stdout.includes("minute 1 of")) {
            clearInterval(check);
            resolve(running.child.exitCode === null);
          }
        }, 200);
        void running.exited.then(() => {
          clearInterval(check);
          resolve(false);
        });
      });
      const result = await running.exited;
      expect(firstLineSeenWhileRunning, describeRun(result)).toBe(true);
      expect(result.code, describeRun(result)).toBe(0);
      const lines = Array.from({ length: MINUTES }, (_, index) => `minute ${index + 1} of ${MINUTES}`);
      expect(result.stdout, describeRun(result)).toBe(`${lines.join("\n")}\n${JSON.stringify({ minutes: MINUTES }, null, 2)}\n`);
    } finally {
      running.child.kill("SIGKILL");
    }
  },
  (MINUTES + 3) * 60_000,
);
