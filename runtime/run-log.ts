import type { ProgressReport, RunEvent } from "../shared/protocol.js";
import type { LogSink } from "./console-capture.js";

/** The console lines of one streamed run, on their way to the stream. */
export interface RunLog {
  sink: LogSink;
  /** Sends a progress report, in order with the lines. */
  progress(report: ProgressReport): void;
  /** The script module has been imported: lines may now go out as they come. */
  imported(): void;
  /** Sends what is still queued. */
  drain(): void;
}

/**
 * Top-level code runs inside the Cloudflare runner's Durable Object, which must not touch
 * this request's stream or wake its reader (workerd then cancels the request), so lines
 * logged while the script is imported wait in order; once the import is back in this
 * request's context they go out, and later lines (from the default export, which runs
 * here) go out at once.
 */
export function createRunLog(send: (event: RunEvent) => void): RunLog {
  const queued: RunEvent[] = [];
  let direct = false;
  const flush = (): void => {
    for (const event of queued.splice(0)) send(event);
  };
  return {
    sink: (stream, text) => {
      queued.push({ type: "log", stream, text });
      if (direct) flush();
    },
    progress: (report) => {
      queued.push({ type: "progress", ...report });
      if (direct) flush();
    },
    imported: () => {
      direct = true;
      flush();
    },
    drain: flush,
  };
}
