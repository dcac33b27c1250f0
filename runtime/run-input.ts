import { MAX_RUN_REQUEST_BYTES } from "../shared/protocol.js";
import type { ScriptInput } from "./script.js";

const NEWLINE = 0x0a;

/** A run's input: the rest of its body after the first line (`head`, the run request's JSON). */
export interface RunInput {
  head: string;
  stream: ReadableStream<Uint8Array>;
  /**
   * Reads and drops whatever is still coming, until the launcher ends the body. A streamed
   * answer ends only after this: the launcher ends its upload once it has the run's end, and
   * a connection closed while bytes are still arriving would be reset, losing the answer's tail.
   */
  drain(): Promise<void>;
}

/**
 * Reads the first line of a run that carries input (the run request, as JSON) and hands back
 * the rest of the body, unread, as the input. Nothing past the newline is read until the
 * script asks for it, so the input flows at the pace the script reads it.
 */
export async function splitRunBody(body: ReadableStream<Uint8Array> | null): Promise<RunInput> {
  if (!body) throw new TypeError("A run with input needs a body: the run request's JSON line, then the input.");
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      throw new TypeError("The body of a run with input ended before the newline that ends its first (JSON) line.");
    }
    const newline = value.indexOf(NEWLINE);
    if (newline === -1) {
      parts.push(value);
      length += value.byteLength;
      if (length > MAX_RUN_REQUEST_BYTES) {
        await reader.cancel().catch(() => {});
        throw new TypeError(`The first line of a run with input is longer than ${MAX_RUN_REQUEST_BYTES} bytes.`);
      }
      continue;
    }
    parts.push(value.subarray(0, newline));
    const head = new TextDecoder().decode(concat(parts, length + newline));
    const rest = value.subarray(newline + 1);
    // workerd's request body takes one read at a time, and a read the script abandoned (its
    // signal aborted) may still be pending when the drain starts: reads wait their turn.
    let previous: Promise<unknown> = Promise.resolve();
    const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
      const next = previous.then(() => reader.read());
      previous = next.catch(() => {});
      return next;
    };
    return {
      head,
      stream: prepend(rest.byteLength ? rest : undefined, read, () => reader.cancel()),
      async drain() {
        try {
          while (!(await read()).done);
        } catch {
          // The launcher went away: nothing left to wait for.
        }
      },
    };
  }
}

/** A stream of `first` (if any), then whatever `read` still gives; pulled, never buffered. */
function prepend(
  first: Uint8Array | undefined,
  read: () => Promise<ReadableStreamReadResult<Uint8Array>>,
  cancel: (reason: unknown) => Promise<void>,
): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        const { done, value } = await read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
}

/** The body to hand a run with input on (to a Durable Object): its JSON line again, then the input. */
export function joinRunBody(head: string, input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  return prepend(new TextEncoder().encode(`${head}\n`), () => reader.read(), (reason) => reader.cancel(reason));
}

/**
 * The input as the script sees it: a `ReadableStream<Uint8Array>` with helpers for the usual
 * cases. When the run's signal aborts (Ctrl-C, `--timeout`) a pending read rejects with the
 * signal's reason, so a script busy reading stops too. What the script leaves unread is not
 * cancelled (workerd would drop the connection, and the answer with it): see RunInput.drain.
 */
export function openScriptInput(source: ReadableStream<Uint8Array>, signal: AbortSignal): ScriptInput {
  const reader = source.getReader();
  let yieldedAt = Date.now();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (Date.now() - yieldedAt >= YIELD_EVERY_MS) {
            await new Promise((resolve) => setTimeout(resolve, 0));
            yieldedAt = Date.now();
          }
          const { done, value } = await readUnlessAborted(reader, signal);
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
    },
    { highWaterMark: 0 },
  );
  return Object.defineProperties(stream, {
    bytes: { value: () => readBytes(stream) },
    text: { value: async () => new TextDecoder().decode(await readBytes(stream)) },
    json: { value: async () => JSON.parse(new TextDecoder().decode(await readBytes(stream))) as unknown },
    lines: { value: () => readLines(stream) },
  }) as ScriptInput;
}

/**
 * One read, or the signal's reason once it aborts. Checked before reading: while input keeps
 * coming, a read is always ready and would win. A listener for this read only, removed after:
 * racing every read against one long-lived promise would leave a reaction on it per chunk.
 */
function readUnlessAborted(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    reader.read().then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * While input keeps arriving, workerd has I/O ready at every turn and runs no timers: a
 * `--timeout`, a script's own `setTimeout`, and the cancel request of Ctrl-C would wait for
 * seconds. Reading yields to a timer turn this often (measured: no cost to throughput).
 */
const YIELD_EVERY_MS = 50;
/** Every byte of the stream, in one array. */
async function readBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concat(parts, length);
      parts.push(value);
      length += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The stream's lines, decoded as UTF-8, without their `\n` or `\r\n`; a last line without a
 * newline is a line too. Reads one chunk at a time, so a large input never sits in memory.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let pending = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      let newline: number;
      while ((newline = pending.indexOf("\n", start)) !== -1) {
        const end = newline > start && pending.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
        yield pending.slice(start, end);
        start = newline + 1;
      }
      pending = pending.slice(start);
      if (done) break;
    }
    if (pending) yield pending.endsWith("\r") ? pending.slice(0, -1) : pending;
  } finally {
    // An early `break` in the script's loop leaves the rest unread; the run ends normally.
    reader.releaseLock();
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.byteLength === length) return parts[0]!;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    const slice = part.subarray(0, length - offset);
    joined.set(slice, offset);
    offset += slice.byteLength;
    if (offset >= length) break;
  }
  return joined;
}
