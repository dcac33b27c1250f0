// runtime/run-progress.ts: the context's progress(), throttled in the worker by a timer. Pure
// logic; Vitest's fake timers stand in for workerd's.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { ProgressReport } from "../../shared/protocol.js";
import { createRunProgress, PROGRESS_INTERVAL_MS } from "../../runtime/run-progress.js";

function harness() {
  const sent: ProgressReport[] = [];
  const progress = createRunProgress((report) => sent.push(report));
  return { sent, progress };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createRunProgress", () => {
  test("200,000 calls with no timer turn (a synchronous loop in workerd): the first, then the last at the end", () => {
    const { sent, progress } = harness();
    for (let done = 1; done <= 200_000; done++) progress.report(done, 200_000, "rows");
    expect(sent).toStrictEqual([{ done: 1, total: 200_000, label: "rows" }]);
    progress.end();
    expect(sent).toStrictEqual([
      { done: 1, total: 200_000, label: "rows" },
      { done: 200_000, total: 200_000, label: "rows" },
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("at most one report per interval while time moves", () => {
    const { sent, progress } = harness();
    for (let done = 1; done <= 1_000; done++) {
      progress.report(done);
      vi.advanceTimersByTime(1);
    }
    progress.end();
    // Reports at t=0, 100, …, 900 (each the state as the timer fired) and the last one.
    expect(sent).toHaveLength(1_000 / PROGRESS_INTERVAL_MS + 1);
    expect(sent[0]).toStrictEqual({ done: 1 });
    expect(sent[1]).toStrictEqual({ done: PROGRESS_INTERVAL_MS });
    expect(sent.at(-1)).toStrictEqual({ done: 1_000 });
  });

  test("a state reported just after a send goes out when the interval is over, without another call", () => {
    const { sent, progress } = harness();
    progress.report(1, 10);
    progress.report(2, 10); // then the script awaits something long
    expect(sent).toStrictEqual([{ done: 1, total: 10 }]);
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
    expect(sent).toStrictEqual([
      { done: 1, total: 10 },
      { done: 2, total: 10 },
    ]);
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(sent).toHaveLength(2); // nothing new, nothing sent
    progress.report(3, 10); // the interval is long over: at once
    expect(sent.at(-1)).toStrictEqual({ done: 3, total: 10 });
    progress.end();
  });

  test("end() sends nothing when the last state already went out, nothing after it, and leaves no timer", () => {
    const { sent, progress } = harness();
    progress.report(5, 10);
    progress.end();
    progress.report(6, 10);
    progress.end();
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(sent).toStrictEqual([{ done: 5, total: 10 }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("wrong arguments throw a TypeError that says what it takes", () => {
    const { progress } = harness();
    expect(() => (progress.report as (...args: unknown[]) => void)("5")).toThrow(
      new TypeError("progress(done, total?, label?) takes two numbers and a string, not (string, undefined, undefined)."),
    );
  });
});
