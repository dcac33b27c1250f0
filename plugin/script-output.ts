/** Where the script's console output and the launcher's own lines go. */
export interface ScriptOutput {
  /** The script's `console.log/info/debug`. */
  stdout(text: string): void;
  /** The script's `console.warn/error`, and the launcher's status lines. */
  stderr(text: string): void;
}

/** Writes to this process's stdout and stderr, a line at a time. */
export const PROCESS_OUTPUT: ScriptOutput = {
  stdout: (text) => void process.stdout.write(withNewline(text)),
  stderr: (text) => void process.stderr.write(withNewline(text)),
};

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
