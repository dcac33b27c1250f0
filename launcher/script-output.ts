/** Where the script's console output and the launcher's own lines go. */
export interface ScriptOutput {
  /** The script's `console.log/info/debug`. */
  stdout(text: string): void;
  /** The script's `console.warn/error`, and the launcher's status lines. */
  stderr(text: string): void;
}

// Bound once, at load: while the launcher's own dev server lives, the process's `write`
// methods are replaced so that plugins' output stays out of stdout (see server-log.ts);
// the launcher's own output still goes out through these.
const writeStdout = process.stdout.write.bind(process.stdout);
const writeStderr = process.stderr.write.bind(process.stderr);

/** Writes to this process's stdout and stderr, a line at a time. */
export const PROCESS_OUTPUT: ScriptOutput = {
  stdout: (text) => void writeStdout(withNewline(text)),
  stderr: (text) => void writeStderr(withNewline(text)),
};

/** Calls back once everything written so far through {@link PROCESS_OUTPUT} has been flushed. */
export function flushProcessOutput(done: () => void): void {
  writeStdout("", () => writeStderr("", done));
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

// CSI (colours, cursor moves) and OSC (titles, hyperlinks) sequences, whole.
const ESCAPE_SEQUENCE_RE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
// What is left of C0 (but tab and newline), DEL and C1.
const CONTROL_CHARACTER_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Removes terminal escape sequences and control characters from script-provided text. */
export function stripControlCharacters(text: string): string {
  return text.replace(ESCAPE_SEQUENCE_RE, "").replace(CONTROL_CHARACTER_RE, "");
}

// SGR sequences (colours, bold): the only escape sequences a log line keeps.
const COLOUR_SEQUENCE_RE = /^\u001b\[[\d;]*m$/;

/**
 * Makes a line of the dev server's log safe to show among the launcher's own output: keeps
 * its colours, removes what moves the cursor or clears the screen (a plugin's logger that
 * sees a terminal may clear it) and the other control characters.
 */
export function stripTerminalMoves(text: string): string {
  return text
    .replace(ESCAPE_SEQUENCE_RE, (sequence) => (COLOUR_SEQUENCE_RE.test(sequence) ? sequence : ""))
    .replace(/\u001b(?!\[[\d;]*m)/g, "")
    .replace(/[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f]/g, "");
}

/**
 * `stream` as it was at load, for code that writes to it itself (the console's prompt): its
 * `write` goes out even while the launcher's own dev server routes the process's writes into
 * its log. Everything else is the stream's own.
 */
export function directStream<T extends NodeJS.WriteStream>(stream: T): T {
  const original: NodeJS.WriteStream = stream;
  const write = original === process.stdout ? writeStdout : original === process.stderr ? writeStderr : stream.write.bind(stream);
  return new Proxy(stream, {
    get(target, key) {
      if (key === "write") return write;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
