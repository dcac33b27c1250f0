import type { ProgressReport } from "../shared/protocol.js";
import { stripControlCharacters } from "./script-output.js";

/** On a stream that is not a terminal, a progress line at most this often. */
export const PLAIN_INTERVAL_MS = 5_000;

/** Carriage return, then erase the line: the cursor is at its start, on an empty line. */
const CLEAR = "\r\u001b[2K";

const BAR_WIDTH = 20;

export interface ProgressLineOptions {
  /** What the line is about (the script's name as typed). */
  name: string;
  /** Writes to the stream the line is drawn on (stderr), as is: no newline added. */
  write(text: string): void;
  /** A terminal: one line rewritten in place. Otherwise a plain line every {@link PLAIN_INTERVAL_MS}. */
  tty: boolean;
  /** The terminal's width, if known: the line is cut to fit (a wrapped line cannot be rewritten). */
  columns?: () => number | undefined;
  now?: () => number;
}

/** The launcher's display of a script's progress on stderr. */
export interface ProgressLine {
  /** A report from the script. */
  update(report: ProgressReport): void;
  /**
   * Wraps a writer of the script's lines (or the launcher's own): the progress line is cleared
   * before the text goes out and drawn again after it, so the two never mix.
   */
  around(write: (text: string) => void): (text: string) => void;
  /** Clears the line for good (before the result prints); later reports are ignored. */
  clear(): void;
}

/** Draws the progress of a run: a bar with count, rate and time left on a terminal, a plain line otherwise. */
export function createProgressLine({ name, write, tty, columns, now = () => performance.now() }: ProgressLineOptions): ProgressLine {
  let first: { at: number; done: number } | undefined;
  let text: string | undefined; // What is drawn (TTY), or undefined when nothing is.
  let last: string | undefined;
  let printedAt = -Infinity;
  let over = false;
  const label = stripControlCharacters(name);

  const draw = (): void => {
    if (last === undefined) return;
    const width = columns?.();
    text = width ? last.slice(0, Math.max(1, width - 1)) : last;
    write(`${CLEAR}${text}`);
  };
  const erase = (): void => {
    if (text === undefined) return;
    write(CLEAR);
    text = undefined;
  };

  return {
    update(report) {
      if (over || !Number.isFinite(report.done)) return;
      const time = now();
      first ??= { at: time, done: report.done };
      const elapsedS = (time - first.at) / 1000;
      const rate = elapsedS >= 0.5 ? (report.done - first.done) / elapsedS : undefined;
      if (tty) {
        last = formatProgress(label, report, rate, true);
        draw();
      } else if (time - printedAt >= PLAIN_INTERVAL_MS) {
        printedAt = time;
        write(`${formatProgress(label, report, rate, false)}\n`);
      }
    },
    around(inner) {
      if (!tty) return inner;
      return (line) => {
        const shown = text !== undefined;
        erase();
        inner(line);
        if (shown && !over) draw();
      };
    },
    clear() {
      over = true;
      erase();
    },
  };
}

/**
 * `seed [████████░░░░░░░░░░░░] 80,000/200,000 40% · 41,200/s · 3s left · notes`, or on a
 * stream that is not a terminal `seed: 80,000/200,000 (40%), 41,200/s, 3s left, notes`.
 */
export function formatProgress(name: string, { done, total, label }: ProgressReport, rate: number | undefined, tty: boolean): string {
  const known = total !== undefined && Number.isFinite(total) && total > 0;
  const share = known ? Math.min(1, Math.max(0, done / total)) : undefined;
  const parts: string[] = [];
  if (known) {
    parts.push(`${count(done)}/${count(total)}`);
    parts.push(tty ? `${Math.floor(share! * 100)}%` : `(${Math.floor(share! * 100)}%)`);
  } else {
    parts.push(count(done));
  }
  const rest: string[] = [];
  if (rate !== undefined && rate > 0) {
    rest.push(`${count(rate)}/s`);
    if (known && done < total) rest.push(`${formatSeconds((total - done) / rate)} left`);
  }
  if (label) rest.push(stripControlCharacters(label));
  if (!tty) return `${name}: ${parts.join(" ")}${rest.map((part) => `, ${part}`).join("")}`;
  const filled = share === undefined ? 0 : Math.round(share * BAR_WIDTH);
  const bar = share === undefined ? "" : ` [${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`;
  return `${name}${bar} ${[parts.join(" "), ...rest].join(" · ")}`;
}

function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
}
