import { debuglog } from "node:util";
import type { LogErrorOptions, Logger } from "vite";
import { stripTerminalMoves } from "./script-output.js";

const debug = debuglog("worker-run");
const HUNG_REPORT_RE = /^Uncaught exception: workerd\/io\/.*detected that your Worker's code had hung/;
/** How much of a quiet server's log is kept for {@link ServerLog.replay}. */
const KEPT_CHARACTERS = 256 * 1024;

/**
 * The log of a dev server the launcher starts: Vite's logger (Vite, the plugins, and the
 * worker's console as Miniflare forwards it), and whatever plugins write straight to this
 * process's stdout and stderr while the server lives (wrangler's "Using secrets defined in
 * .dev.vars", a framework's start-up notes). None of it is the script's output, so none of it
 * reaches stdout. Verbose: each line goes to `write` (stderr) as it comes. Quiet (the
 * default): lines are kept, and {@link ServerLog.replay} shows them when they explain a failure.
 */
export interface ServerLog {
  /** The Vite logger to start the server with. */
  logger: Logger;
  /** Routes this process's stdout and stderr writes into the log until the returned function is called. */
  captureProcessOutput(): () => void;
  /** Writes the kept lines (quiet mode) once, under a heading. */
  replay(): void;
}

export function createServerLog(options: { verbose: boolean; write: (text: string) => void }): ServerLog {
  let kept: string[] = [];
  let keptSize = 0;
  const record = (raw: string): void => {
    const text = stripTerminalMoves(raw);
    debug("server: %s", text);
    if (options.verbose) {
      options.write(text);
      return;
    }
    kept.push(text);
    keptSize += text.length;
    while (keptSize > KEPT_CHARACTERS && kept.length > 1) keptSize -= kept.shift()!.length;
  };
  return {
    logger: createViteLogger(record),
    captureProcessOutput: () => captureProcessOutput(record),
    replay() {
      if (!kept.length) return;
      options.write(`The dev server's log:\n${kept.map((text) => text.replace(/\n$/, "")).join("\n")}`);
      kept = [];
      keptSize = 0;
    },
  };
}

function createViteLogger(record: (text: string) => void): Logger {
  const warned = new Set<string>();
  const errorsLogged = new WeakSet<object>();
  const logger: Logger = {
    hasWarned: false,
    info: (message) => record(message),
    warn(message) {
      logger.hasWarned = true;
      record(message);
    },
    warnOnce(message) {
      if (warned.has(message)) return;
      warned.add(message);
      logger.warn(message);
    },
    error(message: string, options?: LogErrorOptions) {
      if (options?.error) errorsLogged.add(options.error);
      // workerd's own report of a hung script, with a native stack; the launcher says it plainly.
      if (HUNG_REPORT_RE.test(message)) debug("workerd: %s", message);
      else record(message);
    },
    clearScreen() {},
    hasErrorLogged: (error) => errorsLogged.has(error),
  };
  return logger;
}

type Write = typeof process.stdout.write;

/** The sinks of the captures in force, the newest last; the real writes while there are none. */
const captures: ((text: string) => void)[] = [];
let realWrites: { stdout: Write; stderr: Write } | undefined;

function captureProcessOutput(sink: (text: string) => void): () => void {
  if (!realWrites) {
    realWrites = { stdout: process.stdout.write, stderr: process.stderr.write };
    process.stdout.write = capturingWrite as Write;
    process.stderr.write = capturingWrite as Write;
  }
  captures.push(sink);
  return () => {
    const index = captures.lastIndexOf(sink);
    if (index !== -1) captures.splice(index, 1);
    if (captures.length || !realWrites) return;
    process.stdout.write = realWrites.stdout;
    process.stderr.write = realWrites.stderr;
    realWrites = undefined;
  };
}

function capturingWrite(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
  captures.at(-1)?.(text);
  const done = typeof encoding === "function" ? encoding : callback;
  if (typeof done === "function") queueMicrotask(() => (done as () => void)());
  return true;
}
