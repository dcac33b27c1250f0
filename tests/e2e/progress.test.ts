/**
 * A script's progress on real workerd (tests/fixtures/declared, src/scripts/steps.ts: 200,000
 * steps, progress on each, "halfway" logged in the middle). Attached to one `vite dev`: on a
 * pseudo-terminal one line rewritten in place and gone before the result, never on a log line;
 * on piped stderr a plain line or two; with --json nothing extra; runScript()'s onProgress
 * gets a few reports ending with the last. Cold: the same plain line from a server it starts.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { ProgressReport } from "../../index.js";
import { lines, removeProject } from "../helpers/attach-streaming.js";
import { expectExit } from "../helpers/cli-assertions.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { killTerminal, startInTerminal, type TerminalSession } from "../helpers/terminal.js";
import { renderTerminal } from "../helpers/terminal-screen.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const RESULT = JSON.stringify({ steps: 200_000, checksum: 777_772 }, null, 2);
const PLAIN_LINE_RE = /^steps: [\d,]+\/200,000 \(\d+%\)(, [\d,]+\/s, \d+s left)?, rows$/;
const DRAWN_RE = /^steps \[[█░]{20}\] [\d,]+\/200,000 \d+%( · [\d,]+\/s)?( · \d+s left)? · rows$/;

describe("progress, attached", () => {
  let project: TempProject;
  let dev: ViteDevProcess;
  let session: TerminalSession | undefined;
  const status = (): string => `Running in the dev server at ${dev.url} (pid ${dev.pid}).`;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "declared"), "progress");
    dev = await startViteDev(project.dir);
  });

  afterEach(async () => {
    await killTerminal(session);
    session = undefined;
  });

  afterAll(async () => {
    await removeProject(project, async () => {
      if (dev) expect((await dev.stop()).survivors).toEqual([]);
    });
  });

  test("on a terminal: one line rewritten in place, cleared around the log line and before the result", async () => {
    session = startInTerminal(["steps"], { cwd: project.dir });
    const { code } = await session.exited;
    const raw = session.raw();
    const context = `--- raw ---\n${JSON.stringify(raw)}`;
    expect(code, context).toBe(0);
    // What stays on the screen: the status, the log line, the result, the summary; no bar.
    const screen = renderTerminal(raw);
    expect(screen.slice(0, -2), context).toEqual([status(), "halfway", ...RESULT.split("\n")]);
    expect(screen.at(-2), context).toMatch(/^✔ steps finished in \d+ ms$/);
    expect(screen.at(-1), context).toBe("");
    // Every drawing of the bar starts at the line's start, after an erase, and no newline
    // ever follows one: it is rewritten, never scrolled.
    const drawings = raw.split("\r\u001b[2K").slice(1).map((part) => part.split(/\r|\n/, 1)[0]!).filter(Boolean);
    const bars = drawings.filter((text) => text.startsWith("steps ["));
    expect(bars.length, context).toBeGreaterThanOrEqual(2);
    for (const bar of bars) expect(bar, context).toMatch(DRAWN_RE);
    expect(bars.at(-1), context).toMatch(/^steps \[█{20}\] 200,000\/200,000 100%/);
    expect(raw, context).not.toMatch(/steps \[[^\r]*\n/);
  });

  test("piped stderr: a plain line or two, the script's output unchanged", async () => {
    const result = await runCli(["steps"], { cwd: project.dir });
    expectExit(result, 0);
    expect(result.stdout, describeRun(result)).toBe(`halfway\n${RESULT}\n`);
    const stderr = lines(result.stderr);
    expect(stderr[0], describeRun(result)).toBe(status());
    expect(stderr.at(-1), describeRun(result)).toMatch(/^✔ steps finished in \d+ ms$/);
    const progress = stderr.slice(1, -1);
    // The first report at once, then at most one every 5 s of the run.
    const runMs = Number(/in (\d+) ms$/.exec(stderr.at(-1)!)?.[1] ?? Number.NaN);
    expect(progress.length, describeRun(result)).toBeGreaterThanOrEqual(1);
    expect(progress.length, describeRun(result)).toBeLessThanOrEqual(1 + Math.floor(runMs / 5_000));
    for (const line of progress) expect(line, describeRun(result)).toMatch(PLAIN_LINE_RE);
    expect(result.stderr, describeRun(result)).not.toContain("\r");
  });

  test("--json: stdout is one document, stderr carries no progress", async () => {
    const result = await runCli(["--json", "steps"], { cwd: project.dir });
    expectExit(result, 0);
    expect(result.stdout, describeRun(result)).toBe(`${JSON.stringify({ ok: true, result: { steps: 200_000, checksum: 777_772 } })}\n`);
    expect(lines(result.stderr), describeRun(result)).toEqual([status(), "halfway"]);
  });

  test("runScript({ onProgress }): a few reports, in order, the last one 200,000 of 200,000", async () => {
    const { runScript } = (await import("vite-plugin-worker-run")) as typeof import("../../index.js");
    const reports: ProgressReport[] = [];
    const outcome = await runScript({
      script: "steps",
      cwd: project.dir,
      output: { stdout() {}, stderr() {} },
      onProgress: (report) => reports.push(report),
    });
    expect(outcome).toMatchObject({ ok: true, result: { steps: 200_000 } });
    expect(reports.at(-1)).toStrictEqual({ done: 200_000, total: 200_000, label: "rows" });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    // At most one per 100 ms of the run, and the last one.
    expect(reports.length).toBeLessThanOrEqual(2 + Math.floor(outcome.durationMs! / 100));
    const done = reports.map((report) => report.done);
    expect(done).toStrictEqual([...done].sort((a, b) => a - b));
  });
});

describe("progress, cold", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "declared"), "progress-cold");
  });

  afterAll(async () => {
    await removeProject(project);
  });

  test("--no-attach: the plain line comes from a server the launcher starts", async () => {
    const result = await runCli(["--no-attach", "steps"], { cwd: project.dir });
    expectExit(result, 0);
    expect(result.stdout, describeRun(result)).toBe(`halfway\n${RESULT}\n`);
    const stderr = lines(result.stderr);
    expect(stderr[0], describeRun(result)).toBe("Starting the dev server…");
    expect(stderr.slice(1, -1).length, describeRun(result)).toBeGreaterThanOrEqual(1);
    for (const line of stderr.slice(1, -1)) expect(line, describeRun(result)).toMatch(PLAIN_LINE_RE);
  });
});
