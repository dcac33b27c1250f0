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
 * {@link PROGRESS_INTERVAL_MS}, so a script may call it on each of 200,000 steps. The first call
 * goes out at once and starts a timer; a state reported meanwhile goes out when it fires (and
 * starts the next). A call itself reads no clock and allocates nothing: it stores four values
 * and tests a flag (measured: a clock read per call cost ~10 % of a 200,000-step loop). Inside
 * workerd timers fire only between I/O, so a synchronous loop sends its first call and then
 * (through `end`) its last.
 */
export function createRunProgress(send: (report: ProgressReport) => void): RunProgress {
  let pending = false;
  let lastDone = 0;
  let lastTotal: number | undefined;
  let lastLabel: string | undefined;
  let waiting: ReturnType<typeof setTimeout> | undefined; // the interval after a send
  let ended = false;
  const sendLast = (): void => {
    if (!pending || ended) return;
    pending = false;
    const report: ProgressReport = { done: lastDone };
    if (lastTotal !== undefined) report.total = lastTotal;
    if (lastLabel !== undefined) report.label = lastLabel;
    send(report);
  };
  const sendAndWait = (): void => {
    sendLast();
    waiting = setTimeout(() => {
      waiting = undefined;
      if (pending) sendAndWait();
    }, PROGRESS_INTERVAL_MS);
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
      if (waiting === undefined && !ended) sendAndWait();
    },
    end: () => {
      if (waiting !== undefined) clearTimeout(waiting);
      waiting = undefined;
      sendLast();
      ended = true;
    },
  };
}
