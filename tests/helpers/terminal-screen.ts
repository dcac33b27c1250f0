/**
 * What a terminal shows after some output, for the escapes a progress line uses: `\r` returns
 * to the line's start, `ESC[2K` erases the line, `\n` moves down; other escapes are dropped.
 * Lines overwritten in place leave only their last state, as on a screen.
 */
export function renderTerminal(written: string): string[] {
  const lines: string[] = [""];
  for (const part of written.split(/(\r\n|\r|\n|\u001b\[2K|\u001b\[[0-9;?]*[A-Za-z])/)) {
    if (part === "\n" || part === "\r\n") lines.push("");
    else if (part === "\u001b[2K") lines[lines.length - 1] = "";
    else if (part === "\r" || part.startsWith("\u001b")) continue;
    else lines[lines.length - 1] += part;
  }
  return lines;
}
