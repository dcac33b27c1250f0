// runtime/run-stopper.ts: how a run is stopped from outside (a timeout or a cancel). Pure
// timers and promises, so it runs in Node, on Vitest's fake clock.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createRunStopper, RunStopped, type RunStopper } from "../../runtime/run-stopper.js";
import { ABORT_GRACE_MS } from "../../shared/protocol.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Watches `stopped` without changing it: what it settled with, if it did. */
function watch(stopper: RunStopper) {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined };
  stopper.stopped.then(
    () => Object.assign(state, { settled: true }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** Lets pending promise reactions run, without moving the clock. */
async function settle() {
  await vi.advanceTimersByTimeAsync(0);
}

describe("createRunStopper", () => {
  test("starts untouched, and with no timeout sets no timer", () => {
    const stopper = createRunStopper(undefined);
    expect(stopper.signal.aborted).toBe(false);
    expect(stopper.reason).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(createRunStopper(0).signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0); // 0 means never.
  });

  test('stop("interrupted") aborts the signal with an AbortError, then rejects `stopped` after the grace period', async () => {
    const stopper = createRunStopper(undefined);
    const stopped = watch(stopper);
    stopper.stop("interrupted");
    await settle();
    expect(stopper.signal.aborted).toBe(true);
    expect(stopper.signal.reason).toBeInstanceOf(DOMException);
    expect(stopper.signal.reason).toMatchObject({ name: "AbortError", message: "Interrupted" });
    expect(stopper.reason).toBe("interrupted");

    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS - 1);
    expect(stopped.settled).toBe(false); // The script still has its grace period.
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped.settled).toBe(true);
    expect(stopped.error).toBeInstanceOf(RunStopped);
    expect(stopped.error).toMatchObject({ reason: "interrupted", message: "Run stopped: interrupted" });
    await expect(stopper.stopped).rejects.toBe(stopped.error);
  });

  test("a timeout aborts the signal with a TimeoutError after timeoutMs, then rejects `stopped`", async () => {
    const stopper = createRunStopper(500);
    const stopped = watch(stopper);
    await vi.advanceTimersByTimeAsync(499);
    expect(stopper.signal.aborted).toBe(false);
    expect(stopper.reason).toBeUndefined();

    await vi.advanceTimersByTimeAsync(1);
    expect(stopper.signal.aborted).toBe(true);
    expect(stopper.signal.reason).toBeInstanceOf(DOMException);
    expect(stopper.signal.reason).toMatchObject({ name: "TimeoutError", message: "Timed out after 500 ms" });
    expect(stopper.reason).toBe("timeout");

    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS - 1);
    expect(stopped.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped.error).toBeInstanceOf(RunStopped);
    expect(stopped.error).toMatchObject({ reason: "timeout", message: "Run stopped: timeout" });
  });

  test("a second stop changes nothing: not the reason, the signal's reason, or when `stopped` rejects", async () => {
    const stopper = createRunStopper(1_000);
    const stopped = watch(stopper);
    const onAbort = vi.fn();
    stopper.signal.addEventListener("abort", onAbort);
    stopper.stop("interrupted");
    await settle();
    const first = stopper.signal.reason as DOMException;

    stopper.stop("timeout");
    await vi.advanceTimersByTimeAsync(1_000); // The timeout fires too.
    expect(stopper.reason).toBe("interrupted");
    expect(stopper.signal.reason).toBe(first);
    expect(first.name).toBe("AbortError");
    expect(onAbort).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS - 1_000); // Grace counted from the first stop.
    expect(stopped.error).toMatchObject({ reason: "interrupted" });
    expect(vi.getTimerCount()).toBe(0);
  });

  test("after a timeout, a cancel keeps the reason timeout", async () => {
    const stopper = createRunStopper(100);
    await vi.advanceTimersByTimeAsync(100);
    stopper.stop("interrupted");
    await settle();
    expect(stopper.reason).toBe("timeout");
    expect((stopper.signal.reason as DOMException).name).toBe("TimeoutError");
  });

  test("dispose before any stop clears the timeout: nothing fires afterwards", async () => {
    const stopper = createRunStopper(1_000);
    const stopped = watch(stopper);
    expect(vi.getTimerCount()).toBe(1);
    stopper.dispose();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * (1_000 + ABORT_GRACE_MS));
    expect(stopper.signal.aborted).toBe(false);
    expect(stopper.reason).toBeUndefined();
    expect(stopped.settled).toBe(false);
  });

  test("dispose during the grace period clears it: `stopped` never rejects", async () => {
    const stopper = createRunStopper(1_000);
    const stopped = watch(stopper);
    stopper.stop("interrupted");
    await settle();
    expect(vi.getTimerCount()).toBe(2); // The timeout and the grace period.
    stopper.dispose();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * ABORT_GRACE_MS);
    expect(stopped.settled).toBe(false);
    expect(stopper.reason).toBe("interrupted"); // What happened stays known.
  });

  test("a stop requested from outside (another request's code, with a detached `stop`) still stops the run", async () => {
    const stopper = createRunStopper(undefined);
    const stopped = watch(stopper);
    const { stop } = stopper; // As the cancel handler holds it: no `this`.
    setTimeout(() => stop("interrupted"), 50); // Later, in another task.
    await vi.advanceTimersByTimeAsync(49);
    expect(stopper.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopper.signal.aborted).toBe(true);
    expect(stopper.reason).toBe("interrupted");
    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS);
    expect(stopped.error).toMatchObject({ reason: "interrupted" });
  });

  test("`stopped` is never an unhandled rejection, even when no one waits on it", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const stopper = createRunStopper(10);
      await vi.advanceTimersByTimeAsync(10 + ABORT_GRACE_MS);
      vi.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopper.reason).toBe("timeout");
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});
