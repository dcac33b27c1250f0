import type { ProgressReport } from "../shared/protocol.js";

/** How often, at most, a run sends its progress to the launcher. */
export const PROGRESS_INTERVAL_MS = 100;

/** A run's `progress` function, and what sends its last state before the run's end. */
export interface RunProgress {
  report: (done: number, total?: number, label?: string) => void;
  /** Sends the last state, if it has not gone out yet; later reports are dropped (the run has ended). */
  end(): void;
}

/**
 * The context's `progress`: keeps the last state and sends it at most every
 * {@link PROGRESS_INTERVAL_MS}, so a script may call it on each of 200,000 steps. Inside
 * workerd the clock only moves between I/O, so a synchronous loop sends its first call and
 * then (through `flush`) its last.
 */
export function createRunProgress(send: (report: ProgressReport) => void, now: () => number = Date.now): RunProgress {
  // Plain fields, not an object per call: the hot path allocates nothing.
  let pending = false;
  let lastDone = 0;
  let lastTotal: number | undefined;
  let lastLabel: string | undefined;
  let sentAt = -Infinity;
  let ended = false;
  const sendLast = (): void => {
    if (!pending || ended) return;
    pending = false;
    const report: ProgressReport = { done: lastDone };
    if (lastTotal !== undefined) report.total = lastTotal;
    if (lastLabel !== undefined) report.label = lastLabel;
    send(report);
  };
  return {
    report(done, total, label) {
      if (typeof done !== "number" || (total !== undefined && typeof total !== "number") || (label !== undefined && typeof label !== "string")) {
        throw new TypeError(
          `progress(done, total?, label?) takes two numbers and a string, not (${[done, total, label].map((value) => typeof value).join(", ")}).`,
        );
      }
      pending = true;
      lastDone = done;
      lastTotal = total;
      lastLabel = label;
      const time = now();
      if (time - sentAt >= PROGRESS_INTERVAL_MS) {
        sentAt = time;
        sendLast();
      }
    },
    end: () => {
      sendLast();
      ended = true;
    },
  };
}
