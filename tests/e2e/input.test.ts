/**
 * A script's input: piped stdin and `--input FILE` reach it as a stream (`input`), attached to a
 * running `vite dev` and in a server the launcher starts, in the worker and inside a Durable
 * Object; a script may stop reading early; Ctrl-C and --timeout stop a script that is reading;
 * no input is `null` (also on a terminal); bad `--input` values are usage errors. The memory
 * check with a gigabyte of input is in tests/slow/large-input.test.ts. Runs against real workerd.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { expectExit } from "../helpers/cli-assertions.js";
import { observeCli, runCliBounded } from "../helpers/cli-bounded.js";
import { waitForOutput } from "../helpers/attach-streaming.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { isAlive } from "../helpers/processes.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { killTerminal, startInTerminal, type TerminalSession } from "../helpers/terminal.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const USERS_CSV = "name,email\nAda,ada@example.com\r\nGrace,grace@example.com\nLinus,linus@example.com";

let project: TempProject;
let dev: ViteDevProcess;
/** A folder outside the project: input is data, so any path will do. */
let outside: string;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "input"));
  outside = await mkdtemp(path.join(os.tmpdir(), "worker-run-input-"));
  dev = await startViteDev(project.dir);
});

afterAll(async () => {
  const stopped = await dev?.stop();
  expect(stopped?.survivors ?? []).toEqual([]);
  await project?.remove();
  await rm(outside, { recursive: true, force: true });
});

/** What measure-input.ts computes over its input, computed here over the same bytes. */
function measure(bytes: Uint8Array): { bytes: number; newlines: number; sum: number } {
  let newlines = 0;
  let sum = 0;
  for (const byte of bytes) {
    if (byte === 10) newlines++;
    sum = (sum + byte) % 1_000_000_007;
  }
  return { bytes: bytes.byteLength, newlines, sum };
}

/** Deterministic bytes of every value, newlines among them. */
function generatedBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let block = createHash("sha256").update("seed").digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(bytes, offset);
    block = createHash("sha256").update(block).digest();
  }
  return bytes;
}

/** A stream that never ends by itself: `chunk` again and again, as fast as the reader takes it. */
function endlessInput(chunk = Buffer.from("row,of,data\n".repeat(5000))): Readable {
  return new Readable({
    read() {
      this.push(chunk);
    },
  });
}

async function json(run: Promise<{ code: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null; pid: number }>, code = 0): Promise<unknown> {
  const result = await run;
  expectExit(result, code);
  return (JSON.parse(result.stdout) as { result: unknown }).result;
}

describe("attached to a running vite dev", () => {
  test("a CSV piped in is imported into D1, and the app reads it back", async () => {
    const result = await runCliBounded(["import-users"], { cwd: project.dir, input: USERS_CSV });
    expectExit(result, 0);
    expect(result.stdout).toBe(`${JSON.stringify({ imported: 3 }, null, 2)}\n`);
    expect(result.stderr).toContain(`Running in the dev server at ${dev.url}`);
    const users = await dev.get("/api/users");
    expect(JSON.parse(users.body)).toEqual([
      { name: "Ada", email: "ada@example.com" },
      { name: "Grace", email: "grace@example.com" },
      { name: "Linus", email: "linus@example.com" },
    ]);
  });

  test("--input FILE outside the project streams every byte of it", async () => {
    const bytes = generatedBytes(3 * 1024 * 1024 + 17);
    const file = path.join(outside, "data.bin");
    await writeFile(file, bytes);
    expect(await json(runCliBounded(["--json", "--input", file, "measure-input"], { cwd: project.dir }))).toEqual(measure(bytes));
  });

  test("--input - reads stdin, as piping does", async () => {
    const text = "one\ntwo\n";
    expect(await json(runCliBounded(["--json", "--input", "-", "measure-input"], { cwd: project.dir, input: text }))).toEqual(
      measure(Buffer.from(text)),
    );
  });

  test("a script that returns without reading its endless input ends the run normally", async () => {
    const result = await runCliBounded(["ignore-input"], { cwd: project.dir, input: endlessInput(), limitMs: 30_000 });
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual({ hasInput: true });
  });

  test("a script that reads one line of an endless input and returns ends the run normally", async () => {
    const result = await runCliBounded(["first-line"], { cwd: project.dir, input: endlessInput(), limitMs: 30_000 });
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual({ first: "row,of,data" });
  });

  test("inside a Durable Object (--do), the input reaches the instance", async () => {
    const result = await runCliBounded(["--do", "NOTEBOOK:ideas", "note-lines"], { cwd: project.dir, input: "first\nsecond\nthird\n" });
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual({ added: 3 });
    expect(JSON.parse((await dev.get("/api/notebook?name=ideas")).body)).toEqual(["first", "second", "third"]);
  });

  test("without input (stdin ignored, or /dev/null) input is null", async () => {
    expect(await json(runCliBounded(["--json", "measure-input"], { cwd: project.dir }))).toEqual({ input: null });
  });

  test("runScript({ input }) takes a string, bytes, a web stream and a Node stream", async () => {
    const { runScript } = (await import("vite-plugin-worker-run")) as typeof import("../../index.js");
    const text = "alpha\nbeta\n";
    const expected = measure(Buffer.from(text));
    const sources = [
      text,
      new TextEncoder().encode(text),
      new Blob([text]).stream(),
      Readable.from([Buffer.from("alpha\n"), Buffer.from("beta\n")]),
    ];
    for (const input of sources) {
      const outcome = await runScript({ script: "measure-input", cwd: project.dir, input, output: { stdout: () => {}, stderr: () => {} } });
      expect(outcome).toMatchObject({ ok: true, exitCode: 0, result: expected });
    }
  });
});

async function readMarker(): Promise<unknown> {
  return ((await json(runCliBounded(["--json", "read-marker", "input-stopped"], { cwd: project.dir }))) as { value: unknown }).value;
}

describe("stopping a script while its input flows", () => {
  test("Ctrl-C (SIGINT to the process group) stops the reading script: exit 130, its read failed with AbortError", async () => {
    const { result } = await observeCli(["read-until-abort"], {
      cwd: project.dir,
      processGroup: true,
      // As fast as the pipe takes it: workerd must still run the cancel (and timers) meanwhile.
      input: endlessInput(),
      during: async (running) => {
        await waitForOutput(running, "stdout", "reading");
        process.kill(-running.pid, "SIGINT");
      },
    });
    expectExit(result, 130);
    expect(result.stderr).toContain("✖ read-until-abort was interrupted by SIGINT");
    expect(await readMarker()).toBe("AbortError after some bytes");
  });

  test("--timeout stops the reading script: exit 124, its read failed with TimeoutError", async () => {
    const result = await runCliBounded(["--timeout", "1.5", "read-until-abort"], { cwd: project.dir, input: endlessInput() });
    expectExit(result, 124);
    // Close to on time, although input keeps flooding in (workerd ran no timers while it did,
    // before: 2 to 9 s for the same 1.5 s).
    expect(result.stderr).toMatch(/✖ read-until-abort timed out in (1\.[5-9]|2\.\d)\d s\n$/);
    expect(result.stderr).toContain("TimeoutError: The script did not finish within 1500 ms; its signal was aborted.");
    expect(await readMarker()).toBe("TimeoutError after some bytes");
  });
});

describe("in a server the launcher starts", () => {
  test("piped input streams through, and no process is left", async () => {
    const bytes = generatedBytes(2 * 1024 * 1024);
    const { result, seen } = await observeCli(["--no-attach", "--json", "measure-input"], {
      cwd: project.dir,
      input: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    });
    expectExit(result, 0);
    expect((JSON.parse(result.stdout) as { result: unknown }).result).toEqual(measure(bytes));
    expect(seen.some((process) => process.name === "workerd"), describeRun(result)).toBe(true);
    await vi.waitFor(() => expect(seen.filter((process) => isAlive(process.pid))).toEqual([]), { timeout: 5_000 });
  });

  test("a terminal on stdin is no input", async () => {
    let session: TerminalSession | undefined;
    try {
      session = startInTerminal(["--json", "measure-input"], { cwd: project.dir });
      const { code } = await session.exited;
      expect(code, session.screen()).toBe(0);
      expect(session.screen()).toContain('{"ok":true,"result":{"input":null}');
    } finally {
      await killTerminal(session);
    }
  });
});

describe("bad --input values", () => {
  test.each([
    {
      name: "a file that does not exist",
      args: () => ["--input", "missing.csv", "measure-input"],
      message: () =>
        `worker-run: Cannot read the input file "missing.csv" (${path.join(project.dir, "missing.csv")}): no such file. Pass --input a file you can read, or pipe the data in.\n`,
    },
    {
      name: "a directory",
      args: () => ["--input", outside, "measure-input"],
      message: () =>
        `worker-run: Cannot read the input file ${JSON.stringify(outside)} (${outside}): it is a directory. Pass --input a file, or pipe the data in.\n`,
    },
    {
      name: "an empty path",
      args: () => ["--input", "", "measure-input"],
      message: () => "worker-run: --input takes a name, not an empty string.\n",
    },
    {
      name: "--input with --console",
      args: () => ["--input", "data.csv", "--console"],
      message: () => "worker-run: --input streams data into one script run; --console runs no script, so it does not take --input.\n",
    },
    {
      name: "--input with --list",
      args: () => ["--list", "--input", "data.csv"],
      message: () => "worker-run: --input streams data into one script run; --list runs no script, so it does not take --input.\n",
    },
  ])("$name: exit 2 and what to do", async ({ args, message }) => {
    const result = await runCliBounded(args(), { cwd: project.dir });
    expectExit(result, 2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(message());
  });
});
