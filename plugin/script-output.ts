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

/** Removes terminal control characters (escape sequences among them) from script-provided text. */
export function stripControlCharacters(text: string): string {
  // Keep tab and newline; drop the rest of C0, DEL and C1.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}
