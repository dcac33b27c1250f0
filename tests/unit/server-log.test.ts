// plugin/server-log.ts: the log of a dev server the launcher starts. Quiet by default (kept,
// replayed on demand), verbose on request, and never on stdout: Vite's logger and the
// process's own stdout/stderr writes while it is captured both land in it.
import { afterEach, describe, expect, test } from "vitest";
import { createServerLog } from "../../launcher/server-log.js";

function recorder(verbose: boolean): { written: string[]; log: ReturnType<typeof createServerLog> } {
  const written: string[] = [];
  return { written, log: createServerLog({ verbose, write: (text) => void written.push(text) }) };
}

let release: (() => void) | undefined;
afterEach(() => {
  release?.();
  release = undefined;
});

describe("quiet (the default)", () => {
  test("keeps Vite's messages and the worker's console, writing nothing until replayed", () => {
    const { written, log } = recorder(false);
    log.logger.info("page reload src/index.ts", { timestamp: true });
    log.logger.info("Inserted 3 notes.");
    log.logger.warn("The `envFile` option is deprecated");
    log.logger.error("Internal server error: boom");
    expect(written).toEqual([]);
    log.replay();
    expect(written).toEqual([
      "The dev server's log:\npage reload src/index.ts\nInserted 3 notes.\nThe `envFile` option is deprecated\nInternal server error: boom",
    ]);
    log.replay();
    expect(written, "a replay shows the kept lines once").toHaveLength(1);
  });

  test("replays nothing when the server said nothing", () => {
    const { written, log } = recorder(false);
    log.replay();
    expect(written).toEqual([]);
  });

  test("keeps only the newest lines of a very long log", () => {
    const { written, log } = recorder(false);
    for (let index = 0; index < 5_000; index++) log.logger.info(`line ${index} ${"x".repeat(100)}`);
    log.replay();
    expect(written[0]!.length).toBeLessThan(300 * 1024);
    expect(written[0]).toContain("line 4999 ");
    expect(written[0]).not.toContain("line 0 ");
  });
});

test("verbose writes each line as it comes", () => {
  const { written, log } = recorder(true);
  log.logger.info("one");
  log.logger.warn("two");
  expect(written).toEqual(["one", "two"]);
  log.replay();
  expect(written).toEqual(["one", "two"]);
});

test("workerd's own report of a hung script stays out: the launcher says it plainly", () => {
  const { written, log } = recorder(true);
  log.logger.error("Uncaught exception: workerd/io/io-context.c++:123: detected that your Worker's code had hung");
  expect(written).toEqual([]);
});

test("warnOnce, hasWarned, hasErrorLogged and clearScreen behave as Vite expects", () => {
  const { written, log } = recorder(true);
  log.logger.warnOnce("same");
  log.logger.warnOnce("same");
  expect(written).toEqual(["same"]);
  expect(log.logger.hasWarned).toBe(true);
  const printed = new Error("printed");
  log.logger.error("printed", { error: printed });
  expect(log.logger.hasErrorLogged(printed)).toBe(true);
  expect(log.logger.hasErrorLogged(new Error("other"))).toBe(false);
  log.logger.clearScreen("info");
  expect(written).toEqual(["same", "printed"]);
});

describe("captureProcessOutput", () => {
  test("routes this process's stdout and stderr writes into the log until released", () => {
    const { written, log } = recorder(false);
    release = log.captureProcessOutput();
    process.stdout.write("Using secrets defined in .dev.vars\n");
    process.stderr.write("a plugin's warning\n");
    release();
    release = undefined;
    log.replay();
    expect(written).toEqual(["The dev server's log:\nUsing secrets defined in .dev.vars\na plugin's warning"]);
  });

  test("calls a write's callback, as a stream would", async () => {
    const { log } = recorder(false);
    release = log.captureProcessOutput();
    await new Promise<void>((resolve) => process.stdout.write("flushed?\n", () => resolve()));
  });

  test("puts the real writes back when the last capture is released, in any order", () => {
    const realStdout = process.stdout.write;
    const first = recorder(false);
    const second = recorder(false);
    const releaseFirst = first.log.captureProcessOutput();
    const releaseSecond = second.log.captureProcessOutput();
    process.stdout.write("to the newest\n");
    releaseFirst();
    expect(process.stdout.write).not.toBe(realStdout);
    releaseSecond();
    expect(process.stdout.write).toBe(realStdout);
    second.log.replay();
    expect(second.written).toEqual(["The dev server's log:\nto the newest"]);
  });
});

test("a line that would clear the screen or move the cursor keeps only its text and colours", () => {
  const { written, log } = recorder(true);
  log.logger.warn("\n\u001b[1;1H\u001b[0J\u001b[33mwarning\u001b[39m (x2)\u001bc\u0007");
  // A lone ESC goes; the letter after it is inert text.
  expect(written).toEqual(["\n\u001b[33mwarning\u001b[39m (x2)c"]);
});
