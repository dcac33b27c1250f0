/**
 * A launcher in a real pseudo-terminal: util-linux's `script` (in every Debian, as `bsdutils`)
 * runs it on a pty whose keyboard is what the test writes, so readline sees a terminal: raw
 * keys, Tab, Ctrl-C as a key, Ctrl-D. The output is the terminal's, escape sequences removed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { BIN } from "./paths.js";
import { isAlive, watchDescendants, type ProcessInfo } from "./processes.js";

const ESCAPES_RE = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

export interface TerminalSession {
  child: ChildProcess;
  /** Everything the terminal showed so far, escape sequences removed, `\r` dropped. */
  screen(): string;
  /** Everything the terminal received so far, as it came (escape sequences and `\r` included). */
  raw(): string;
  /** Types `keys` (use "\r" for Enter, "\t" for Tab, "\x03" for Ctrl-C, "\x04" for Ctrl-D). */
  type(keys: string): void;
  /** Waits until the screen shows `text` after the part already consumed by earlier waits. */
  waitFor(text: string, limitMs?: number): Promise<void>;
  /** Resolves with the exit code once the session is over, and the processes seen below it. */
  exited: Promise<{ code: number | null; seen: ProcessInfo[] }>;
}

/** Starts `worker-run …args` on a 120×40 pseudo-terminal in `cwd`. */
export function startInTerminal(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): TerminalSession {
  const command = [process.execPath, BIN, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", `stty cols 120 rows 40; exec ${command}`, "/dev/null"], {
    cwd: options.cwd,
    env: { ...process.env, TERM: "xterm-256color", NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let raw = "";
  let consumed = 0;
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk));
  const watcher = watchDescendants(child.pid!);
  const screen = (): string => raw.replace(ESCAPES_RE, "").replaceAll("\r", "");
  const exited = new Promise<{ code: number | null; seen: ProcessInfo[] }>((resolve) => {
    child.on("close", (code) => resolve({ code, seen: watcher.stop() }));
  });
  return {
    child,
    screen,
    raw: () => raw,
    type: (keys) => void child.stdin!.write(keys),
    async waitFor(text, limitMs = 30_000) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const found = screen().indexOf(text, consumed);
        if (found !== -1) {
          consumed = found + text.length;
          return;
        }
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`The terminal did not show ${JSON.stringify(text)}. It showed:\n${screen()}`);
        }
        await sleep(25);
      }
    },
    exited,
  };
}

/** Ends a session that a failed test left open: the whole group, and everything seen below it. */
export async function killTerminal(session: TerminalSession | undefined): Promise<void> {
  if (!session || session.child.exitCode !== null) return;
  try {
    process.kill(-session.child.pid!, "SIGKILL");
  } catch {
    // Already gone.
  }
  const { seen } = await session.exited;
  for (const { pid } of seen) if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
