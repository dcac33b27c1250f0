// launcher/progress-line.ts: the launcher's progress display, on a fake stream and clock.
import { describe, expect, test } from "vitest";
import { createProgressLine, formatProgress, PLAIN_INTERVAL_MS } from "../../launcher/progress-line.js";
import { renderTerminal } from "../helpers/terminal-screen.js";

const CLEAR = "\r\u001b[2K";

function harness(tty: boolean, columns?: number) {
  let written = "";
  let time = 0;
  const line = createProgressLine({
    name: "seed",
    tty,
    write: (text) => (written += text),
    columns: () => columns,
    now: () => time,
  });
  const log = line.around((text) => (written += `${text}\n`));
  return { line, log, written: () => written, advance: (ms: number) => (time += ms) };
}

describe("formatProgress", () => {
  test("with a total: bar, count, share, rate, time left, label", () => {
    expect(formatProgress("seed", { done: 80_000, total: 200_000, label: "notes" }, 40_000, true)).toBe(
      "seed [████████░░░░░░░░░░░░] 80,000/200,000 40% · 40,000/s · 3s left · notes",
    );
    expect(formatProgress("seed", { done: 80_000, total: 200_000, label: "notes" }, 40_000, false)).toBe(
      "seed: 80,000/200,000 (40%), 40,000/s, 3s left, notes",
    );
  });

  test("without a total: the count and the rate; no rate yet: the count only", () => {
    expect(formatProgress("seed", { done: 1_234 }, 100, true)).toBe("seed 1,234 · 100/s");
    expect(formatProgress("seed", { done: 1_234, total: 10_000 }, undefined, true)).toBe("seed [██░░░░░░░░░░░░░░░░░░] 1,234/10,000 12%");
    expect(formatProgress("seed", { done: 10, total: 3_610 }, 1, false)).toBe("seed: 10/3,610 (0%), 1/s, 1h 0m left");
  });

  test("a label's control characters are removed", () => {
    expect(formatProgress("seed", { done: 1, label: "a\u001b[2Jb\r" }, undefined, true)).toBe("seed 1 · ab");
  });
});

describe("createProgressLine on a terminal", () => {
  test("one line rewritten in place; log lines print above it; cleared before the result", () => {
    const { line, log, written, advance } = harness(true);
    line.update({ done: 1, total: 4 });
    advance(1_000);
    line.update({ done: 2, total: 4 });
    log("a log line");
    advance(1_000);
    line.update({ done: 4, total: 4 });
    line.clear();
    line.update({ done: 5, total: 4 }); // after clear: ignored
    log("result");
    expect(renderTerminal(written())).toStrictEqual(["a log line", "result", ""]);
    // Every drawing starts at the line's start, and no drawing ends a line.
    expect(written().split(CLEAR).filter(Boolean)).toStrictEqual([
      "seed [█████░░░░░░░░░░░░░░░] 1/4 25%",
      "seed [██████████░░░░░░░░░░] 2/4 50% · 1/s · 2s left",
      "a log line\n",
      "seed [██████████░░░░░░░░░░] 2/4 50% · 1/s · 2s left",
      "seed [████████████████████] 4/4 100% · 2/s",
      "result\n",
    ]);
  });

  test("cut to the terminal's width, so it never wraps", () => {
    const { line, written } = harness(true, 12);
    line.update({ done: 1, total: 4 });
    expect(written()).toBe(`${CLEAR}seed [█████`); // 11 columns: the last one stays free
  });
});

describe("createProgressLine on a pipe", () => {
  test("a plain line at most every few seconds, none in between; log lines untouched", () => {
    const { line, log, written, advance } = harness(false);
    for (let done = 1; done <= 1_000; done++) {
      line.update({ done, total: 1_000 });
      if (done === 500) log("halfway");
      advance(12); // 12 s in all
    }
    line.clear();
    expect(written().split("\n")).toStrictEqual([
      "seed: 1/1,000 (0%)",
      "seed: 418/1,000 (41%), 83/s, 7s left", // 5,004 ms after the first
      "halfway",
      "seed: 835/1,000 (83%), 83/s, 2s left", // 5,004 ms after that
      "",
    ]);
    expect(PLAIN_INTERVAL_MS).toBe(5_000);
  });
});
