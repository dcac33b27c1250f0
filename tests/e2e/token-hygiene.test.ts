/**
 * The route's secret is 256 random bits that travel only in a request header:
 * never in a URL, argv, or a log line. A `vite dev` (as a user runs it) and an attached
 * launcher with debug logging on both run a script; neither prints the token, and the
 * launcher's command line does not carry it. The token is read from the server's discovery
 * record, the one place it is meant to be.
 *
 * With `DEBUG='vite:*'`, Vite prints its resolved config with `util.inspect`, down to every
 * environment's plugin objects and so this plugin's `api`: the token must not be a value
 * there (the api hands it out through a function), neither in a `vite dev` nor in a server
 * the launcher starts itself.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DiscoveryRecord } from "../../common/discovery.js";
import { recordFileOf, removeProject } from "../helpers/attach-streaming.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, spawnCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

/**
 * Vite's debug output, as thorough as the `debug`-style logger Vite uses (obug) makes it:
 * every `DEBUG_*` variable becomes a `util.inspect` option, so hidden properties, getters'
 * values and any depth are printed too.
 */
const VITE_DEBUG_ENV = {
  DEBUG: "vite:*",
  DEBUG_SHOW_HIDDEN: "true",
  DEBUG_GETTERS: "true",
  DEBUG_DEPTH: "Infinity",
  DEBUG_COLORS: "false",
};

/** The first line of Vite's dump of its resolved config (obug prefixes a date and the namespace). */
const RESOLVED_CONFIG_DUMP_RE = /vite:config using resolved config: \{/;
/** This plugin's object in that dump (its environments' plugins are printed whole, `api` included). */
const PLUGIN_DUMP_RE = /name: 'worker-run',\n(?:.*\n){0,5}\s*api: \{/;

/** The lines of `text` that contain `pattern`: a short failure message for a long output. */
function linesMatching(text: string, pattern: string | RegExp): string[] {
  return text.split("\n").filter((line) => (typeof pattern === "string" ? line.includes(pattern) : pattern.test(line)));
}

function readRecord(project: TempProject): DiscoveryRecord {
  const record = JSON.parse(readFileSync(recordFileOf(project), "utf8")) as DiscoveryRecord;
  expect(record.token).toMatch(/^[0-9a-f]{64}$/);
  return record;
}

describe("a vite dev as a user runs it", () => {
  let project: TempProject;
  let dev: ViteDevProcess;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "attach"));
    dev = await startViteDev(project.dir);
  });

  afterAll(async () => {
    await removeProject(project, () => dev?.stop());
  });

  test("the token is 256 bits, and neither the dev server's output nor an attached launcher's shows it", async () => {
    const record = readRecord(project);

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
});

describe("a vite dev with DEBUG='vite:*'", () => {
  let project: TempProject;
  let dev: ViteDevProcess;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "attach"));
    dev = await startViteDev(project.dir, { env: VITE_DEBUG_ENV });
  });

  afterAll(async () => {
    await removeProject(project, () => dev?.stop());
  });

  test("serves a run, and its whole debug output (resolved config included) never shows the token", async () => {
    const record = readRecord(project);

    const result = await spawnCli(["src/scripts/fast.ts", "hygiene"], { cwd: project.dir, env: VITE_DEBUG_ENV }).exited;
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stderr, describeRun(result)).toContain("Running in the dev server at");
    expect(result.stdout + result.stderr).not.toContain(record.token);

    const { exit } = await dev.stop();
    const output = exit.stdout + exit.stderr;
    // Debug output was on: Vite dumped its resolved config, down to this plugin's api.
    expect(output).toMatch(RESOLVED_CONFIG_DUMP_RE);
    expect(output).toMatch(PLUGIN_DUMP_RE);
    expect(linesMatching(output, record.token)).toEqual([]);
  });
});

describe("a dev server the launcher starts, with DEBUG='vite:*'", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "attach"));
  });

  afterAll(async () => {
    await removeProject(project);
  });

  test("its log (--verbose) has Vite's debug output and no token-like string", async () => {
    // This server writes no discovery record, so its token cannot be read: no 64-hex-digit
    // string at all may appear (there is none in this output but a leaked token).
    const result = await spawnCli(["--no-attach", "--verbose", "src/scripts/fast.ts", "hygiene"], {
      cwd: project.dir,
      env: VITE_DEBUG_ENV,
    }).exited;
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ args: ["hygiene"], greeting: "hello from the attach fixture", answer: 42 });
    expect(result.stderr).toMatch(RESOLVED_CONFIG_DUMP_RE);
    expect(result.stderr).toMatch(PLUGIN_DUMP_RE);
    expect(linesMatching(result.stdout + result.stderr, /[0-9a-f]{64}/)).toEqual([]);
  });
});
