// `worker-run --console` on a real terminal (a pseudo-terminal through util-linux's `script`):
// Tab completes a binding of env, Ctrl-C aborts a running entry and the session goes on, an
// edit of an app module shows in the next entry, Ctrl-D leaves with no workerd behind, and the
// history of one session is there in the next (kept outside the project).
import { existsSync, readdirSync } from "node:fs";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { EXAMPLES_DIR } from "../helpers/paths.js";
import { isAlive } from "../helpers/processes.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { killTerminal, startInTerminal, type TerminalSession } from "../helpers/terminal.js";

describe("--console on a terminal", () => {
  let project: TempProject;
  let state: string;
  let session: TerminalSession | undefined;

  beforeAll(async () => {
    project = await copyProject(path.join(EXAMPLES_DIR, "d1-seed"), "console-terminal");
    state = await mkdtemp(path.join(os.tmpdir(), "worker-run-state-"));
  });

  afterEach(async () => {
    await killTerminal(session);
    session = undefined;
  });

  afterAll(async () => {
    await project?.remove();
    if (state) await rm(state, { recursive: true, force: true });
  });

  const open = (): TerminalSession =>
    (session = startInTerminal(["--console", "--no-attach"], { cwd: project.dir, env: { XDG_STATE_HOME: state } }));

  test("Tab, Ctrl-C on a running entry, an edited module, Ctrl-D: no workerd left", async () => {
    const terminal = open();
    await terminal.waitFor("worker> ");
    // Tab completes env.D to the one binding that starts so.
    terminal.type("env.D\t");
    await terminal.waitFor("env.DB");
    terminal.type(".prepare('SELECT 41 + 1 AS answer').first()\r");
    await terminal.waitFor("{ answer: 42 }");
    await terminal.waitFor("worker> ");

    // Ctrl-C while an entry runs aborts that entry's signal; the session stays.
    terminal.type("const waited = await new Promise((resolve) => { const timer = setInterval(() => {}, 1000); signal.addEventListener('abort', () => { clearInterval(timer); resolve('aborted') }) })\r");
    await new Promise((resolve) => setTimeout(resolve, 500));
    terminal.type("\x03");
    await terminal.waitFor("The run was cancelled; its signal was aborted.");
    await terminal.waitFor("worker> ");
    terminal.type("'still here'\r");
    await terminal.waitFor("'still here'");

    // An app module edited between two entries: the next entry sees the new code.
    terminal.type("import * as db from '@/db'\r");
    await terminal.waitFor("worker> ");
    terminal.type("db.edited\r");
    await terminal.waitFor("undefined");
    await appendFile(path.join(project.dir, "src/db/index.ts"), '\nexport const edited = "yes";\n');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    terminal.type("(await import('@/db')).edited\r");
    await terminal.waitFor("'yes'");

    terminal.type("\x04");
    const { code, seen } = await terminal.exited;
    expect(code).toBe(0);
    expect(seen.map((info) => info.name)).toContain("workerd");
    expect(seen.filter((info) => isAlive(info.pid)).map((info) => `${info.name} (${info.pid})`)).toEqual([]);
  });

  test("the history of the last session is there (Up arrow), kept outside the project", async () => {
    const history = path.join(state, "worker-run", "console-history");
    expect(existsSync(history)).toBe(true);
    const files = readdirSync(history);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^console-terminal-/);

    const terminal = open();
    await terminal.waitFor("worker> ");
    // Up: the last entry of the previous session, from the history file.
    terminal.type("\x1b[A");
    await terminal.waitFor("(await import('@/db')).edited");
    terminal.type("\r");
    await terminal.waitFor("'yes'");
    terminal.type(".exit\r");
    expect((await terminal.exited).code).toBe(0);
  });
});
