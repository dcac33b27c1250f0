// plugin/launcher-logger.ts: the Vite logger of a server the launcher starts. The worker's
// console reaches it without options (info → stdout; warn, error → stderr); Vite's own
// timestamped chatter stays out of the script's output.
import { describe, expect, test } from "vitest";
import { createLauncherLogger } from "../../plugin/launcher-logger.js";
import type { ScriptOutput } from "../../plugin/script-output.js";

function recorder(): ScriptOutput & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (text) => void out.push(text), stderr: (text) => void err.push(text) };
}

describe("createLauncherLogger", () => {
  test("info without options (a worker's console.log) goes to stdout", () => {
    const output = recorder();
    createLauncherLogger(output).info("Inserted 3 notes.");
    expect(output).toMatchObject({ out: ["Inserted 3 notes."], err: [] });
  });

  test("info with a timestamp or an environment (Vite's own messages) goes nowhere visible", () => {
    const output = recorder();
    const logger = createLauncherLogger(output);
    logger.info("page reload src/index.ts", { timestamp: true });
    logger.info("✨ new dependencies optimized", { environment: "client" });
    expect(output).toMatchObject({ out: [], err: [] });
  });

  test("warn and error go to stderr", () => {
    const output = recorder();
    const logger = createLauncherLogger(output);
    logger.warn("careful");
    logger.error("broken");
    expect(output).toMatchObject({ out: [], err: ["careful", "broken"] });
    expect(logger.hasWarned).toBe(true);
  });

  test("warnOnce prints a message once", () => {
    const output = recorder();
    const logger = createLauncherLogger(output);
    logger.warnOnce("same");
    logger.warnOnce("same");
    logger.warnOnce("other");
    expect(output.err).toEqual(["same", "other"]);
  });

  test("hasErrorLogged knows the errors it printed", () => {
    const logger = createLauncherLogger(recorder());
    const printed = new Error("printed");
    logger.error("printed", { error: printed });
    expect(logger.hasErrorLogged(printed)).toBe(true);
    expect(logger.hasErrorLogged(new Error("other"))).toBe(false);
  });

  test("clearScreen does nothing (one-shot output is never wiped)", () => {
    const output = recorder();
    createLauncherLogger(output).clearScreen("info");
    expect(output).toMatchObject({ out: [], err: [] });
  });
});

test("the module runner's '[vite] …' lines from inside workerd are Vite's chatter, not the script's output", () => {
  const output = recorder();
  const logger = createLauncherLogger(output);
  logger.info("[vite] hot updated: virtual:cloudflare/worker-entry");
  logger.info("an app log line");
  expect(output.out).toEqual(["an app log line"]);
});
