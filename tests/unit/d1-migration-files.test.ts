// Which migration files a D1 binding has, in which order, and under which table: as
// `wrangler d1 migrations apply` reads its Wrangler config. And how `--migrate [binding]` parses.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseCliArgs } from "../../launcher/cli-args.js";
import { UsageError } from "../../launcher/usage-error.js";
import { compareMigrationNames, listMigrationFiles, readMigrationSet } from "../../plugin/d1-migration-files.js";

describe("migration files", () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "worker-run-d1-"));
    await mkdir(path.join(root, "config/migrations/nested"), { recursive: true });
    for (const name of ["0010_ten.sql", "0002_two.sql", "2_also-two.sql", "notes.sql", "Zebra.sql", ".hidden.sql", "0003_three.SQL", "README.md"]) {
      await writeFile(path.join(root, "config/migrations", name), `-- ${name}\n`);
    }
    await writeFile(path.join(root, "config/migrations/nested/0001_deep.sql"), "");
    await symlink(path.join(root, "config/migrations/0002_two.sql"), path.join(root, "config/migrations/0004_link.sql"));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("top-level *.sql files, not dot files, nested ones or links; numbered by their number, then by name", () => {
    expect(listMigrationFiles(path.join(root, "config/migrations"))).toEqual([
      "0002_two.sql",
      "2_also-two.sql",
      "0010_ten.sql",
      "Zebra.sql",
      "notes.sql",
    ]);
    expect(listMigrationFiles(path.join(root, "nowhere"))).toBeNull();
  });

  test("wrangler's order: the number before the first _, numbered first, then UTF-16 order", () => {
    expect(["b.sql", "10_x.sql", "9_y.sql", "a.sql", "9_a.sql"].sort(compareMigrationNames)).toEqual([
      "9_a.sql",
      "9_y.sql",
      "10_x.sql",
      "a.sql",
      "b.sql",
    ]);
  });

  test("migrations_dir is relative to the Wrangler config's folder; the default table is d1_migrations", () => {
    const configPath = path.join(root, "config/wrangler.jsonc");
    const set = readMigrationSet({ binding: "DB", database_name: "db" }, configPath, root);
    expect(set).toMatchObject({ binding: "DB", databaseName: "db", table: "d1_migrations", dir: "config/migrations" });
    expect(set.files?.map((file) => file.name)).toEqual(["0002_two.sql", "2_also-two.sql", "0010_ten.sql", "Zebra.sql", "notes.sql"]);
    expect(set.files?.[0]?.sql).toBe("-- 0002_two.sql\n");

    expect(readMigrationSet({ binding: "LOGS", migrations_dir: "../logs/", migrations_table: "log_migrations" }, configPath, root)).toEqual({
      binding: "LOGS",
      table: "log_migrations",
      dir: "logs",
      files: null,
    });
    // A config inline in the Vite config: from the project root.
    expect(readMigrationSet({ binding: "DB" }, undefined, root)).toMatchObject({ dir: "migrations", files: null });
  });

  test("a migrations_pattern other than the default is refused with what to do", () => {
    const configPath = path.join(root, "config/wrangler.jsonc");
    expect(readMigrationSet({ binding: "DB", migrations_pattern: "./migrations/*.sql" }, configPath, root).problem).toBeUndefined();
    expect(readMigrationSet({ binding: "DB", migrations_dir: "migrations", migrations_pattern: "migrations/*/migration.sql" }, configPath, root)).toMatchObject({
      files: null,
      problem:
        'migrations_pattern "migrations/*/migration.sql" of DB is not supported by worker-run yet: only the top-level .sql files of migrations_dir. Apply these with wrangler d1 migrations apply DB --local.',
    });
  });
});

describe("--migrate [binding]", () => {
  const defaults = {
    kind: "migrate",
    binding: undefined,
    config: undefined,
    mode: undefined,
    root: undefined,
    worker: undefined,
    json: false,
    attach: true,
    verbose: false,
    timeout: undefined,
  };

  test("alone: every binding; the one word that is not an option is the binding, wherever it stands", () => {
    expect(parseCliArgs(["--migrate"])).toEqual(defaults);
    for (const argv of [["--migrate", "DB", "--json"], ["--json", "--migrate", "DB"], ["--migrate=DB", "--json"], ["--migrate", "--json", "DB"]]) {
      expect(parseCliArgs(argv), argv.join(" ")).toEqual({ ...defaults, binding: "DB", json: true });
    }
    expect(parseCliArgs(["--worker", "store", "--migrate", "--no-attach", "--timeout", "5", "--root", "app", "--mode", "staging"])).toEqual({
      ...defaults,
      worker: "store",
      attach: false,
      timeout: 5,
      root: "app",
      mode: "staging",
    });
  });

  test("after a script, --migrate is the script's argument", () => {
    expect(parseCliArgs(["seed", "--migrate"])).toMatchObject({ kind: "run", script: "seed", args: ["--migrate"] });
  });

  function usageMessage(argv: string[]): string {
    try {
      parseCliArgs(argv);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`Expected ${argv.join(" ")} to be a usage error.`);
  }

  test("a second word, an option it does not take, an empty binding: usage errors that say what it takes", () => {
    expect(usageMessage(["--migrate", "DB", "src/scripts/seed.ts"])).toBe(
      '--migrate takes at most one binding, not "DB" "src/scripts/seed.ts": it runs no script. Run worker-run --migrate to apply every D1 binding\'s migrations, or worker-run --migrate DB for one.',
    );
    expect(usageMessage(["--migrate", "--do", "X:y"])).toBe(
      "Unknown option '--do'. --migrate takes [binding], --worker, --root, --config, --mode, --no-attach, --json, --verbose and --timeout; it runs no script.",
    );
    expect(usageMessage(["--migrate="])).toBe("--migrate takes a binding name, not an empty string.");
    expect(usageMessage(["--migrate", "--timeout", "soon"])).toBe('--timeout takes a positive number of seconds, not "soon".');
  });
});
