import { debuglog } from "node:util";
import type { LogErrorOptions, Logger, LogOptions } from "vite";
import type { ScriptOutput } from "./script-output.js";

const debug = debuglog("worker-run");
const HUNG_REPORT_RE = /^Uncaught exception: workerd\/io\/.*detected that your Worker's code had hung/;

/**
 * The Vite logger of a server the launcher starts. Miniflare forwards the worker's console
 * (the app's modules; the script's own lines come over the route) through the Vite logger
 * without options (`info` for log/info/debug, `warn`, `error`), so those go to the
 * launcher's stdout and stderr; Vite's own chatter (dependency optimisation, reloads) is
 * kept out of them and shown only with NODE_DEBUG=worker-run.
 */
export function createLauncherLogger(output: ScriptOutput): Logger {
  const warned = new Set<string>();
  const errorsLogged = new WeakSet<object>();
  const logger: Logger = {
    hasWarned: false,
    info(message: string, options?: LogOptions) {
      // Vite's own chatter: timestamped messages, and the module runner inside workerd, whose
      // console.debug("[vite] hot updated: …") arrives here like any worker log.
      if (options?.timestamp || options?.environment || message.startsWith("[vite] ")) debug("vite: %s", message);
      else output.stdout(message);
    },
    warn(message: string) {
      logger.hasWarned = true;
      output.stderr(message);
    },
    warnOnce(message: string) {
      if (warned.has(message)) return;
      warned.add(message);
      logger.warn(message);
    },
    error(message: string, options?: LogErrorOptions) {
      if (options?.error) errorsLogged.add(options.error);
      // workerd's own report of a hung script, with a native stack; the launcher says it plainly.
      if (HUNG_REPORT_RE.test(message)) debug("workerd: %s", message);
      else output.stderr(message);
    },
    clearScreen() {},
    hasErrorLogged: (error) => errorsLogged.has(error),
  };
  return logger;
}
