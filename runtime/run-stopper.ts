import { ABORT_GRACE_MS } from "../shared/protocol.js";

/** Why a run was stopped from outside the script. */
export type StopReason = "timeout" | "interrupted";

/**
 * Stops a run: aborts its `signal`, gives the script {@link ABORT_GRACE_MS} to clean up,
 * then rejects `stopped` so the dispatcher can answer without it. Created in the run's own
 * request context; `stop` may be called from another request (a cancel), which workerd
 * allows because it only settles a promise whose continuation runs back in this context.
 */
export interface RunStopper {
  readonly signal: AbortSignal;
  /** Why the run was stopped, once it was. */
  readonly reason: StopReason | undefined;
  /** Rejects once a stopped script has had its grace period. */
  readonly stopped: Promise<never>;
  stop(reason: StopReason): void;
  dispose(): void;
}

/** The error `stopped` rejects with. */
export class RunStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`Run stopped: ${reason}`);
  }
}

export function createRunStopper(timeoutMs: number | undefined): RunStopper {
  const controller = new AbortController();
  const timers: ReturnType<typeof setTimeout>[] = [];
  let disposed = false;
  let reason: StopReason | undefined;
  let rejectStopped: (error: RunStopped) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (rejectStopped = reject));
  stopped.catch(() => {}); // Only raced, never required.

  // `stop` resolves this (maybe from another request); the reaction runs here.
  let requestStop: (reason: StopReason) => void = () => {};
  new Promise<StopReason>((resolve) => (requestStop = resolve)).then((why) => {
    // A stop that arrives after the run is over (a cancel racing its end) changes nothing.
    if (reason || disposed) return;
    reason = why;
    const message = why === "timeout" ? `Timed out after ${timeoutMs} ms` : "Interrupted";
    controller.abort(new DOMException(message, why === "timeout" ? "TimeoutError" : "AbortError"));
    timers.push(setTimeout(() => rejectStopped(new RunStopped(why)), ABORT_GRACE_MS));
  });
  if (timeoutMs) timers.push(setTimeout(() => requestStop("timeout"), timeoutMs));

  return {
    signal: controller.signal,
    get reason() {
      return reason;
    },
    stopped,
    stop: (why) => requestStop(why),
    dispose: () => {
      disposed = true;
      timers.forEach((timer) => clearTimeout(timer));
    },
  };
}
