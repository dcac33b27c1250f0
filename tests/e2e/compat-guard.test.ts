/**
 * The compatibility guard. workerRun() wraps the worker entry where @cloudflare/vite-plugin
 * imports it today (`virtual:cloudflare/user-entry` from `\0virtual:cloudflare/worker-entry`).
 * tests/fixtures/renamed-entry simulates a release that imports it some other way (a plugin
 * renames the id in the worker-entry module and resolves the new id to the user's entry), so
 * the route reaches the app. The launcher must then say so (exit 2, naming both installed
 * versions and what to do) instead of a vague error, and leave no process behind.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { observeCli, type ObservedRun } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { isAlive } from "../helpers/processes.js";
import { describeRun, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const SCRIPT = "src/scripts/hello.ts";

const versionOf = (manifest: string): string =>
  (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
const OWN_VERSION = versionOf(path.join(REPO_ROOT, "package.json"));
const CLOUDFLARE_VERSION = versionOf(path.join(REPO_ROOT, "node_modules/@cloudflare/vite-plugin/package.json"));

/** The launcher's whole message (the fixture's app answers 200 on every path). */
const EXPECTED_MESSAGE = [
  "The dev server answered 200 for the route without worker-run's marker:",
  "workerRun() found no worker entry to wrap.",
  `vite-plugin-worker-run ${OWN_VERSION} wraps the entry that @cloudflare/vite-plugin imports`,
  `as "virtual:cloudflare/user-entry", and the installed @cloudflare/vite-plugin ${CLOUDFLARE_VERSION}`,
  "does not import it that way. Update vite-plugin-worker-run (npm install -D vite-plugin-worker-run@latest),",
  "or install a @cloudflare/vite-plugin release it supports (see its README).",
].join(" ");

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "renamed-entry"));
});

afterAll(async () => {
  await project?.remove();
});

/** The run started workerd, and (within a few seconds) nothing it started is still alive. */
async function expectNoOrphans({ result, seen }: ObservedRun): Promise<void> {
  const descendants = seen.map((p) => `${p.pid} ${p.name}`).join("\n");
  const context = `${describeRun(result)}\n--- descendants seen ---\n${descendants}`;
  const sawWorkerd = seen.some((descendant) => descendant.name === "workerd");
  expect(sawWorkerd, `Expected a workerd below the launcher.\n${context}`).toBe(true);
  await vi.waitFor(
    () => expect(seen.filter((descendant) => isAlive(descendant.pid)), `Still alive.\n${context}`).toEqual([]),
    { timeout: 5_000, interval: 100 },
  );
}

/** The parts of the message a user acts on, checked one by one so a failure says which is missing. */
function expectGuardMessage(text: string, result: CliResult): void {
  for (const part of [
    "workerRun() found no worker entry to wrap",
    `vite-plugin-worker-run ${OWN_VERSION}`,
    `@cloudflare/vite-plugin ${CLOUDFLARE_VERSION}`,
    "npm install -D vite-plugin-worker-run@latest",
  ]) {
    expect(text, describeRun(result)).toContain(part);
  }
  expect(text, describeRun(result)).toContain(EXPECTED_MESSAGE);
}

describe("a @cloudflare/vite-plugin that imports the user's entry another way", () => {
  it("exits 2 with a message naming the installed versions, stdout empty, no workerd left", async () => {
    const observed = await observeCli([SCRIPT], { cwd: project.dir });
    const { result } = observed;
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.signal, describeRun(result)).toBeNull();
    expect(result.stdout, describeRun(result)).toBe("");
    expectGuardMessage(result.stderr, result);
    expect(result.stderr, describeRun(result)).toContain(`✖ ${SCRIPT} could not run`);
    await expectNoOrphans(observed);
  });

  it("with --json, stdout is exactly one JSON document carrying that message, no workerd left", async () => {
    const observed = await observeCli(["--json", SCRIPT], { cwd: project.dir });
    const { result } = observed;
    expect(result.code, describeRun(result)).toBe(2);
    let document: unknown;
    try {
      document = JSON.parse(result.stdout);
    } catch {
      throw new Error(`Expected stdout to be exactly one JSON document.\n${describeRun(result)}`);
    }
    expect(document, describeRun(result)).toEqual({
      ok: false,
      error: { name: "UsageError", message: EXPECTED_MESSAGE },
    });
    await expectNoOrphans(observed);
  });
});
