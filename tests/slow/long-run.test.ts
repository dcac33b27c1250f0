/**
 * A script that prints nothing for six minutes, longer than the 300 s idle timeouts of Node's
 * and undici's HTTP stacks between the launcher, Vite and workerd: the answer stays open
 * while nothing flows, and the run ends normally with its result. Slow on purpose (about
 * six and a half minutes); `npm run test:slow` runs it, and CI does.
 */
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
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
  `a script silent for ${MINUTES} minutes finishes with exit 0 and its result`,
  async () => {
    const result = await runCliBounded(["src/scripts/long.ts", String(MINUTES)], {
      cwd: project.dir,
      limitMs: (MINUTES + 2) * 60_000,
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toBe(`${JSON.stringify({ minutes: MINUTES }, null, 2)}\n`);
    expect(result.stderr, describeRun(result)).toMatch(/✔ src\/scripts\/long\.ts finished in 3[6-9]\d\.\d\d s\n$/);
  },
  (MINUTES + 3) * 60_000,
);
