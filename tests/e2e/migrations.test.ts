// `worker-run --migrate [binding]` and `applyD1Migrations` apply D1 migrations inside the
// sandbox, through the binding, into the state the dev server uses, recorded as
// `wrangler d1 migrations apply --local` records them: each tool applies only what the other has
// not. Cold where the cold path is the point (a fresh state, a custom persistState, a config
// without D1), attached to one `vite dev` for the rest. Runs against real workerd.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectExit, parseJsonStdout } from "../helpers/cli-assertions.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";
import { runWrangler } from "../helpers/wrangler.js";

const FIXTURE = path.join(FIXTURES_DIR, "migrations");

/** Runs the launcher in `dir` and checks its exit code and stdout exactly. */
async function expectRun(dir: string, args: string[], code: number, stdout: string): Promise<CliResult> {
  const run = await runCli(args, { cwd: dir });
  expectExit(run, code);
  expect(run.stdout, describeRun(run)).toBe(stdout);
  return run;
}

/** A usage problem of --migrate: exit 2, nothing on stdout, the message and the summary on stderr. */
async function expectUsage(dir: string, args: string[], message: string): Promise<void> {
  const run = await expectRun(dir, args, 2, "");
  expect(run.stderr.split("\n"), describeRun(run)).toContain(message);
  expect(run.stderr, describeRun(run)).toMatch(/✖ --migrate could not run/);
}

/** What a table of the project's D1 database holds, read through an attached run. */
async function query(dir: string, sql: string, binding = "DB"): Promise<unknown[]> {
  const run = await runCli(["--json", "-e", `env.${binding}.prepare(${JSON.stringify(sql)}).all().then((r) => r.results)`], { cwd: dir });
  expectExit(run, 0);
  return (parseJsonStdout(run) as { result: unknown[] }).result;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await writeFile(path.join(dir, name), sql);
}

describe("--migrate, with wrangler's own records", () => {
  let project: TempProject;
  let dev: ViteDevProcess | undefined;

  beforeAll(async () => {
    project = await copyProject(FIXTURE, "migrations");
  });

  afterAll(async () => {
    await dev?.stop();
    await project?.remove();
  });

  test("fresh state, both tools in turn, then attached: each applies only what is not recorded; a second run applies nothing", async () => {
    const migrations = path.join(project.dir, "migrations");
    // Cold, on a fresh state.
    await expectRun(project.dir, ["--no-attach", "--migrate", "DB"], 0, "Applied 0001_create_notes.sql to DB\n");

    // Wrangler sees what --migrate recorded, and applies only the rest.
    await addMigration(migrations, "0002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n");
    const wrangler = await runWrangler(["d1", "migrations", "apply", "DB", "--local"], project.dir);
    expect(wrangler.code, describeRun(wrangler)).toBe(0);
    expect(wrangler.stdout, describeRun(wrangler)).toContain("0002_tags.sql");
    expect(wrangler.stdout, describeRun(wrangler)).not.toContain("0001_create_notes.sql");

    // And the other way round, now attached to the app's running dev server.
    await addMigration(migrations, "0003_add_body.sql", "ALTER TABLE notes ADD COLUMN body TEXT;\n");
    dev = await startViteDev(project.dir);
    const before = await dev.get("/api/columns");
    expect(JSON.parse(before.body), before.body).toEqual(["id", "title"]);
    const attached = await expectRun(project.dir, ["--migrate", "DB"], 0, "Applied 0003_add_body.sql to DB\n");
    expect(attached.stderr, describeRun(attached)).toContain(`Running in the dev server at ${dev.url}`);
    expect(attached.stderr, describeRun(attached)).toMatch(/✔ --migrate: 1 migration applied \(DB: 1\) in \d/);
    // The app sees the new column at once: the migration landed in the server's own state.
    const after = await dev.get("/api/columns");
    expect(JSON.parse(after.body), after.body).toEqual(["id", "title", "body"]);

    // All applied: nothing printed, and --json says so.
    const again = await expectRun(project.dir, ["--migrate", "DB"], 0, "");
    expect(again.stderr, describeRun(again)).toMatch(/✔ --migrate: no migrations to apply \(DB: 0\)/);
    await expectRun(project.dir, ["--migrate", "DB", "--json"], 0, `${JSON.stringify({ ok: true, result: { applied: { DB: [] } } })}\n`);

    // One table, the same names, in the order they were applied, by whichever tool.
    const records = (await query(project.dir, "SELECT id, name, applied_at FROM d1_migrations ORDER BY id")) as Record<string, unknown>[];
    expect(records.map(({ id, name }) => [id, name])).toEqual([
      [1, "0001_create_notes.sql"],
      [2, "0002_tags.sql"],
      [3, "0003_add_body.sql"],
    ]);
    for (const record of records) expect(record.applied_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  test("a failing migration stops at that file: exit 1, the file and SQLite's error; the ones before it stay applied", async () => {
    const migrations = path.join(project.dir, "migrations");
    await addMigration(migrations, "0004_colors.sql", "CREATE TABLE colors (name TEXT);\n");
    await addMigration(migrations, "0005_broken.sql", "CREATE TABLE half (id INTEGER);\nINSERT INTO missing VALUES (1);\n");
    await addMigration(migrations, "0006_later.sql", "CREATE TABLE later (id INTEGER);\n");
    const failed = await expectRun(project.dir, ["--migrate", "DB"], 1, "Applied 0004_colors.sql to DB\n");
    expect(failed.stderr.split("\n"), describeRun(failed)).toContain(
      "D1MigrationError: Migration migrations/0005_broken.sql failed on DB: no such table: missing: SQLITE_ERROR. Nothing of it was applied; the 1 before it stay applied. Fix the file and apply again.",
    );
    expect(failed.stderr, describeRun(failed)).toMatch(/✖ --migrate failed in/);

    expect(await query(project.dir, "SELECT name FROM d1_migrations WHERE id > 3 ORDER BY id")).toEqual([{ name: "0004_colors.sql" }]);
    // The failing file ran in one transaction with its record: nothing of it is left.
    const tables = await query(project.dir, "SELECT name FROM sqlite_master WHERE name IN ('colors', 'half', 'later') ORDER BY name");
    expect(tables).toEqual([{ name: "colors" }]);
  });

  test("usage problems: exit 2 with what to do, and nothing applied", async () => {
    await expectUsage(
      project.dir,
      ["--migrate", "NOPE"],
      'Worker "migrations-fixture" has no D1 binding or database named "NOPE". Its D1 bindings: DB, LOGS.',
    );
    await expectUsage(
      project.dir,
      ["--migrate", "CACHE"],
      'CACHE is a binding of worker "migrations-fixture", but not a D1 database, so it has no migrations. Its D1 bindings: DB, LOGS.',
    );
    const missing =
      "No migrations folder for LOGS: db/logs/ does not exist. Create it with your .sql files (wrangler d1 migrations create LOGS <message>), or set migrations_dir of LOGS in wrangler.jsonc.";
    await expectUsage(project.dir, ["--migrate", "LOGS"], missing);
    // Every binding: the missing folder is found before anything runs, so DB's pending files wait too.
    await expectUsage(project.dir, ["--migrate"], `${missing} Or migrate the others alone: worker-run --migrate DB.`);
    expect(await query(project.dir, "SELECT count(*) AS n FROM d1_migrations")).toEqual([{ n: 4 }]);
    // A word after the binding is not a script: --migrate runs none.
    const extra = await expectRun(project.dir, ["--migrate", "DB", "seed"], 2, "");
    expect(extra.stderr).toBe(
      `worker-run: --migrate takes at most one binding, not "DB" "seed": it runs no script. Run worker-run --migrate to apply every D1 binding's migrations, or worker-run --migrate DB for one.\n`,
    );
    // --json anywhere on a --migrate line: the usage error is one JSON document on stdout too.
    const json = await runCli(["--migrate", "DB", "--json", "seed"], { cwd: project.dir });
    expectExit(json, 2);
    expect(JSON.parse(json.stdout), describeRun(json)).toEqual({
      ok: false,
      error: { name: "UsageError", message: extra.stderr.slice("worker-run: ".length, -1) },
    });
  });

  test("applyD1Migrations from a script: the binding's own migrations_dir and migrations_table; several databases need a name; calls at once apply each file once", async () => {
    const ambiguous = await expectRun(project.dir, ["ensure-schema"], 1, "");
    expect(ambiguous.stderr, describeRun(ambiguous)).toContain(
      'Error: Worker "migrations-fixture" has 2 D1 databases (DB, LOGS): say which one you pass, e.g. applyD1Migrations(env.DB, { binding: "DB" }).',
    );

    await mkdir(path.join(project.dir, "db/logs"), { recursive: true });
    await addMigration(path.join(project.dir, "db/logs"), "0001_events.sql", "CREATE TABLE events (at TEXT);\n");
    await expectRun(project.dir, ["ensure-schema", "LOGS"], 0, `${JSON.stringify({ applied: ["0001_events.sql"] }, null, 2)}\n`);
    expect(await query(project.dir, "SELECT name FROM log_migrations", "LOGS")).toEqual([{ name: "0001_events.sql" }]);
    // DB's default table is not involved.
    expect(await query(project.dir, "SELECT name FROM sqlite_master WHERE name = 'd1_migrations'", "LOGS")).toEqual([]);
    await expectRun(project.dir, ["ensure-schema", "LOGS"], 0, `${JSON.stringify({ applied: [] }, null, 2)}\n`);

    // Runs that start together apply together (three calls at once): each file once, in order,
    // whichever call wins it; the others move on without an error.
    const atOnce = await runCli(["--json", "apply-at-once"], { cwd: project.dir });
    expectExit(atOnce, 0);
    const calls = (parseJsonStdout(atOnce) as { result: { applied: string[][] } }).result.applied;
    expect(calls.flat().sort(), describeRun(atOnce)).toEqual(["0001_tags.sql", "0002_seed_tags.sql"]);
    expect(await query(project.dir, "SELECT name FROM tags ORDER BY name", "LOGS")).toEqual([{ name: "green" }, { name: "red" }]);
    expect(await query(project.dir, "SELECT name FROM tag_migrations ORDER BY id", "LOGS")).toEqual([
      { name: "0001_tags.sql" },
      { name: "0002_seed_tags.sql" },
    ]);

    const stopped = await dev!.stop();
    dev = undefined;
    expect(stopped.survivors).toEqual([]);
  });
});

describe("--migrate, cold, on other configs", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(FIXTURE, "migrations-cold");
  });

  afterAll(async () => {
    await project?.remove();
  });

  test("a custom persistState path: the migrations land there, where wrangler --persist-to finds them", async () => {
    await expectRun(
      project.dir,
      ["--config", "vite.config.custom-state.mts", "--migrate", "DB"],
      0,
      "Applied 0001_create_notes.sql to DB\n",
    );
    expect(existsSync(path.join(project.dir, "custom-state/v3/d1"))).toBe(true);
    expect(existsSync(path.join(project.dir, ".wrangler/state"))).toBe(false);
    const listed = await runWrangler(["d1", "migrations", "list", "DB", "--local", "--persist-to", "custom-state"], project.dir);
    expect(listed.code, describeRun(listed)).toBe(0);
    expect(listed.stdout, describeRun(listed)).toContain("No migrations to apply!");
  });

  test("a worker without D1 databases: exit 2, and where to declare them", async () => {
    await expectUsage(
      project.dir,
      ["--config", "vite.config.no-d1.mts", "--migrate"],
      'Worker "migrations-fixture" has no D1 databases (d1_databases in wrangler.no-d1.jsonc), so there is nothing to migrate.',
    );
  });
});
