// The examples work the way a user runs them: `worker-run src/scripts/seed.ts <n>` seeds the
// app's storage, and the app's own `vite dev` then serves exactly the seeded rows.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevStopped } from "../helpers/vite-dev-process.js";

interface ExampleCase {
  name: string;
  /** What the seed script logs for `count` rows. */
  logLine: (count: number) => string;
  /** The app route that lists the rows, and the key of the list in its JSON. */
  route: string;
  listKey: string;
}

const EXAMPLES: ExampleCase[] = [
  { name: "d1-seed", logLine: (count) => `Inserted ${count} notes.`, route: "/api/notes", listKey: "notes" },
  {
    name: "durable-object-sqlite",
    logLine: (count) => `Inserted ${count} items.`,
    route: "/api/items",
    listKey: "items",
  },
];

/** Runs the example's seed through the launcher; stdout is the script's log line, then the result as JSON. */
async function seed(cwd: string, count: number): Promise<{ run: CliResult; logLine: string; result: unknown }> {
  const run = await runCli(["src/scripts/seed.ts", String(count)], { cwd });
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.stderr, describeRun(run)).toContain("✔ src/scripts/seed.ts finished");
  const [logLine = "", ...resultLines] = run.stdout.trimEnd().split("\n");
  let result: unknown;
  expect(() => (result = JSON.parse(resultLines.join("\n"))), describeRun(run)).not.toThrow();
  return { run, logLine, result };
}

describe.each(EXAMPLES.map((example) => [example.name, example] as const))("examples/%s", (_name, example) => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(EXAMPLES_DIR, example.name));
  });

  afterAll(async () => {
    await project?.remove();
  });

  test("seeding twice accumulates, `vite dev` then serves exactly those rows and leaves no process behind", async () => {
    const first = await seed(project.dir, 3);
    expect(first.logLine, describeRun(first.run)).toBe(example.logLine(3));
    expect(first.result, describeRun(first.run)).toEqual({ inserted: 3, total: 3 });

    // A second launcher, a second dev server: the rows come from the copy's .wrangler/state.
    const second = await seed(project.dir, 4);
    expect(second.logLine, describeRun(second.run)).toBe(example.logLine(4));
    expect(second.result, describeRun(second.run)).toEqual({ inserted: 4, total: 7 });
    expect(existsSync(path.join(project.dir, ".wrangler/state"))).toBe(true);

    const dev = await startViteDev(project.dir);
    let stopped: ViteDevStopped;
    try {
      const response = await dev.get(example.route);
      expect(response.status, response.body).toBe(200);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      expect(body.count, response.body).toBe(7);
      expect(body[example.listKey], response.body).toHaveLength(7);
    } finally {
      stopped = await dev.stop();
    }
    const output = `--- vite stdout ---\n${stopped.exit.stdout}\n--- vite stderr ---\n${stopped.exit.stderr}`;
    expect(stopped.forced, `vite dev ignored SIGTERM\n${output}`).toBe(false);
    // The check below means something only if vite did start workerd.
    expect(stopped.seen, output).toContain("workerd");
    expect(stopped.survivors, output).toEqual([]);
  });
});

describe("examples/durable-object-sqlite: a repair inside the object (--do)", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(EXAMPLES_DIR, "durable-object-sqlite"), "durable-object-repair");
  });

  afterAll(async () => {
    await project?.remove();
  });

  test("seeding twice duplicates names; dedupe-items under --do removes them, a dry run first changes nothing", async () => {
    await seed(project.dir, 2);
    await seed(project.dir, 2);
    const repair = (args: string[]) => runCli(["--json", "--do", "INVENTORY:main", "dedupe-items", ...args], { cwd: project.dir });
    const dryRun = await repair(["--dry-run"]);
    expect(dryRun.code, describeRun(dryRun)).toBe(0);
    expect(JSON.parse(dryRun.stdout), describeRun(dryRun)).toEqual({
      ok: true,
      result: { removed: 0, duplicates: ["Item 1", "Item 2"], remaining: 4 },
    });
    const fixed = await repair([]);
    expect(fixed.code, describeRun(fixed)).toBe(0);
    expect(JSON.parse(fixed.stdout), describeRun(fixed)).toEqual({
      ok: true,
      result: { removed: 2, duplicates: ["Item 1", "Item 2"], remaining: 2 },
    });
    expect(fixed.stderr).toContain("Removed 2 duplicate item(s).");
  });
});
