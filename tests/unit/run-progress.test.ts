// runtime/run-progress.ts: the context's progress(), throttled in the worker. Pure logic with
// an injected clock, so it runs in Node.
import { describe, expect, test } from "vitest";
import type { ProgressReport } from "../../shared/protocol.js";
import { createRunProgress, PROGRESS_INTERVAL_MS } from "../../runtime/run-progress.js";

function harness() {
  const sent: ProgressReport[] = [];
  let time = 1_000;
  const progress = createRunProgress((report) => sent.push(report), () => time);
  return { sent, progress, advance: (ms: number) => (time += ms) };
}

describe("createRunProgress", () => {
  test("200,000 calls with the clock still (a synchronous loop in workerd): the first, then the last at the end", () => {
    const { sent, progress } = harness();
    for (let done = 1; done <= 200_000; done++) progress.report(done, 200_000, "rows");
    expect(sent).toStrictEqual([{ done: 1, total: 200_000, label: "rows" }]);
    progress.end();
    expect(sent).toStrictEqual([
      { done: 1, total: 200_000, label: "rows" },
      { done: 200_000, total: 200_000, label: "rows" },
    ]);
  });

  test("at most one report per interval while time moves", () => {
    const { sent, progress, advance } = harness();
    for (let done = 1; done <= 1_000; done++) {
      progress.report(done);
      advance(1);
    }
    progress.end();
    // Reports at t=0, 100, …, 900 and the last one.
    expect(sent).toHaveLength(1_000 / PROGRESS_INTERVAL_MS + 1);
    expect(sent.at(-1)).toStrictEqual({ done: 1_000 });
    expect(sent[1]).toStrictEqual({ done: 1 + PROGRESS_INTERVAL_MS });
  });

  test("end() sends nothing when the last state already went out, and nothing after it", () => {
    const { sent, progress } = harness();
    progress.report(5, 10);
    progress.end();
    progress.report(6, 10);
    progress.end();
    expect(sent).toStrictEqual([{ done: 5, total: 10 }]);
  });

  test("wrong arguments throw a TypeError that says what it takes", () => {
    const { progress } = harness();
    expect(() => (progress.report as (...args: unknown[]) => void)("5")).toThrow(
      new TypeError("progress(done, total?, label?) takes two numbers and a string, not (string, undefined, undefined)."),
    );
  });
});
