/**
 * The worker side of a run's input, in Node (web streams are the same API): the body's first
 * line is the run request, the rest is the input, read only when asked for; lines across chunk
 * boundaries; a signal that aborts a pending read.
 */
import { describe, expect, test } from "vitest";
import { joinRunBody, openScriptInput, readLines, splitRunBody } from "../../runtime/run-input.js";

const encoder = new TextEncoder();

/** A stream of these chunks, counting how many were pulled. */
function chunked(parts: (string | Uint8Array)[]): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let index = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const part = parts[index++];
        if (part === undefined) controller.close();
        else controller.enqueue(typeof part === "string" ? encoder.encode(part) : part);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => index };
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("splitRunBody", () => {
  test("the first line is the head; the rest, from the same chunk on, is the input", async () => {
    const { stream } = chunked(['{"args":', '[]}\nfirst ', "line\nsecond"]);
    const { head, stream: input } = await splitRunBody(stream);
    expect(head).toBe('{"args":[]}');
    expect(await text(input)).toBe("first line\nsecond");
  });

  test("nothing past the head's chunk is read before the input is", async () => {
    const source = chunked(['{"args":[]}\n', "a", "b", "c"]);
    const { stream } = await splitRunBody(source.stream);
    expect(source.pulled()).toBe(1);
    const reader = stream.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a");
    expect(source.pulled()).toBe(2);
  });

  test("multi-byte characters split across chunks decode whole", async () => {
    const bytes = encoder.encode('{"name":"Zoë ✓"}\n');
    const { head } = await splitRunBody(chunked([bytes.subarray(0, 11), bytes.subarray(11)]).stream);
    expect(JSON.parse(head)).toEqual({ name: "Zoë ✓" });
  });

  test("a body without a newline, or none, says what is wrong", async () => {
    await expect(splitRunBody(chunked(['{"args":[]}']).stream)).rejects.toThrow(
      "The body of a run with input ended before the newline that ends its first (JSON) line.",
    );
    await expect(splitRunBody(null)).rejects.toThrow("A run with input needs a body");
  });

  test("drain reads what is left to its end, after a read already pending", async () => {
    const source = chunked(['{"args":[]}\n', "a", "b", "c"]);
    const input = await splitRunBody(source.stream);
    const pending = input.stream.getReader().read(); // the script's, abandoned
    await input.drain();
    expect((await pending).done).toBe(false);
    expect(source.pulled()).toBe(5); // every part, then the end
  });

  test("joinRunBody gives the head line back, then the input", async () => {
    const { head, stream } = await splitRunBody(chunked(['{"args":[]}\nx', "y"]).stream);
    expect(await text(joinRunBody(head, stream))).toBe('{"args":[]}\nxy');
  });
});

describe("readLines", () => {
  test("lines across chunks, \\r\\n and \\n, and a last line without a newline", async () => {
    const lines: string[] = [];
    for await (const line of readLines(chunked(["a,1\r", "\nb,", "2\n\nc,3"]).stream)) lines.push(line);
    expect(lines).toEqual(["a,1", "b,2", "", "c,3"]);
  });

  test("stopping early leaves the rest unread", async () => {
    const source = chunked(["one\ntwo\n", "three\n", "four\n"]);
    for await (const line of readLines(source.stream)) {
      expect(line).toBe("one");
      break;
    }
    expect(source.pulled()).toBe(1);
  });
});

describe("openScriptInput", () => {
  test("helpers: text, json, bytes, lines", async () => {
    const signal = new AbortController().signal;
    expect(await openScriptInput(chunked(["hé", "llo"]).stream, signal).text()).toBe("héllo");
    expect(await openScriptInput(chunked(['{"a":', "1}"]).stream, signal).json()).toEqual({ a: 1 });
    expect(await openScriptInput(chunked(["ab"]).stream, signal).bytes()).toEqual(encoder.encode("ab"));
    const lines: string[] = [];
    for await (const line of openScriptInput(chunked(["x\ny"]).stream, signal).lines()) lines.push(line);
    expect(lines).toEqual(["x", "y"]);
  });

  test("an abort fails a pending read with the signal's reason, and every read after it", async () => {
    const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) }, { highWaterMark: 0 });
    const controller = new AbortController();
    const reader = openScriptInput(never, controller.signal).getReader();
    const pending = reader.read();
    const reason = new DOMException("Timed out after 10 ms", "TimeoutError");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  test("an abort wins over input that keeps coming", async () => {
    const endless = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(encoder.encode("y\n")) }, { highWaterMark: 0 });
    const controller = new AbortController();
    const input = openScriptInput(endless, controller.signal);
    let lines = 0;
    const reading = (async () => {
      for await (const _line of input.lines()) if (++lines === 100) controller.abort(new DOMException("Interrupted", "AbortError"));
    })();
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });
    expect(lines).toBeLessThan(200);
  });
});
