// Issue 3, "survive bad input and faults": every way a script can fail gets a readable JSON
// answer from one in-process dev server of tests/fixtures/failures, and that same server
// runs ok.ts fine right after each failure. The last block runs the terminal-escape failure
// through the real launcher: stderr must not carry the escape bytes, and
// `--json` must stay one valid JSON document; and a result holding terminal controls must
// not carry them to stdout either.
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RESPONSE_MARKER_HEADER, type RunResponse, type SerializedError } from "../../shared/protocol.js";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { postRun, startTestServer, type RawResponse, type TestServer } from "../helpers/dev-server.js";
import { FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

/** The message src/scripts/throws-escapes.ts throws, byte for byte. */
const ESCAPES_MESSAGE = "colour \u001b[31mred\u001b[0m, title \u001b]0;pwned\u0007, c1 \u009b2J, bell \u0007 end";
/** The same message once a terminal-safe printer has removed the escapes and control characters. */
const ESCAPES_MESSAGE_STRIPPED = "colour red, title , c1 2J, bell  end";
/** ESC, BEL and the one-byte CSI: none of them may reach the terminal. */
const TERMINAL_CONTROL_RE = /[\u001b\u0007\u009b]/;

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "failures"));
});

afterAll(async () => {
  await project?.remove();
});

/** One run through the route: the raw exchange and its parsed answer. */
interface Exchange {
  response: RawResponse;
  answer: RunResponse;
}

async function run(server: TestServer, script: string, args: string[] = []): Promise<Exchange> {
  const response = await postRun(server, { script, args });
  let answer: RunResponse;
  try {
    answer = JSON.parse(response.body) as RunResponse;
  } catch {
    const got = `${response.status}: ${response.body.slice(0, 500)}`;
    throw new Error(`Expected JSON from the route for ${script}, got ${got}`);
  }
  return { response, answer };
}

/** The answer is the dispatcher's (not the app's, not Vite's error page), 200, and a failure of `kind`. */
function expectFailure(exchange: Exchange, kind: string): SerializedError {
  const shown = exchange.response.body;
  expect(exchange.response.status, shown).toBe(200);
  expect(exchange.response.headers[RESPONSE_MARKER_HEADER], shown).toBe("1");
  expect(exchange.answer.ok, shown).toBe(false);
  if (exchange.answer.ok) throw new Error("unreachable");
  expect(exchange.answer.kind, shown).toBe(kind);
  return exchange.answer.error;
}

describe("one dev server answers every failure readably and keeps working", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(project.dir);
    expect(server.token, "the fixture's config must include workerRun()").not.toBe("");
  });

  afterAll(async () => {
    await server?.close();
  });

  /** Runs ok.ts in the same server: it must succeed as if nothing had failed before. */
  async function expectServerStillWorks(after: string): Promise<void> {
    const { response, answer } = await run(server, "src/scripts/ok.ts", ["after", after]);
    expect(response.status, response.body).toBe(200);
    expect(answer, response.body).toMatchObject({
      ok: true,
      result: { args: ["after", after], greeting: "hello from the failures fixture" },
    });
  }

  test("a top-level throw in a module without a default export: kind load, message kept", async () => {
    const error = expectFailure(await run(server, "src/scripts/top-level-throw.ts"), "load");
    // Load errors cross the Cloudflare runner's RPC, which keeps only the message.
    expect(error).toEqual({ name: "Error", message: "the fixture's top level threw on purpose" });
    await expectServerStillWorks("top-level-throw");
  });

  test("a rejected promise from the default export: kind run, with a stack naming the .ts line", async () => {
    const error = expectFailure(await run(server, "src/scripts/rejects.ts"), "run");
    expect(error.name).toBe("RangeError");
    expect(error.message).toBe("the fixture rejected on purpose");
    expect(error.stack, JSON.stringify(error)).toMatch(/^RangeError: the fixture rejected on purpose\n/);
    expect(error.stack, JSON.stringify(error)).toContain("src/scripts/rejects.ts:6:");
    expect(error.cause).toBeUndefined();
    await expectServerStillWorks("rejects");
  });

  test("a thrown string: kind run, the string quoted in a message that says what happened", async () => {
    const error = expectFailure(await run(server, "src/scripts/throws-string.ts"), "run");
    expect(error).toEqual({
      name: "Error",
      message: "the fixture threw a string (a string was thrown, not an Error)",
    });
    await expectServerStillWorks("throws-string");
  });

  test("a thrown plain object: kind run, the object shown as JSON", async () => {
    const error = expectFailure(await run(server, "src/scripts/throws-object.ts"), "run");
    expect(error).toEqual({ name: "Error", message: '{"code":42} (an object was thrown, not an Error)' });
    await expectServerStillWorks("throws-object");
  });

  test("an Error with a cause: the cause is serialised with its own name, message and stack", async () => {
    const error = expectFailure(await run(server, "src/scripts/throws-with-cause.ts"), "run");
    expect(error.name).toBe("Error");
    expect(error.message).toBe("the fixture threw with a cause");
    expect(error.stack, JSON.stringify(error)).toContain("src/scripts/throws-with-cause.ts:6:");
    expect(error.cause, JSON.stringify(error)).toBeDefined();
    expect(error.cause!.name).toBe("RangeError");
    expect(error.cause!.message).toBe("the fixture's cause");
    expect(error.cause!.stack, JSON.stringify(error)).toContain("src/scripts/throws-with-cause.ts:5:");
    expect(error.cause!.cause).toBeUndefined();
    await expectServerStillWorks("throws-with-cause");
  });

  test("a TypeError whose message holds terminal escapes: valid JSON, escapes kept escaped", async () => {
    const exchange = await run(server, "src/scripts/throws-escapes.ts");
    const error = expectFailure(exchange, "run");
    expect(error.name).toBe("TypeError");
    // Parsed back, the message is exactly what was thrown: nothing lost, nothing added.
    expect(error.message).toBe(ESCAPES_MESSAGE);
    // On the wire, ESC and BEL are JSON escapes (`\u001b`, `\u0007`), never the raw bytes.
    const body = exchange.response.body;
    expect(body).not.toMatch(/[\u0000-\u001f]/);
    expect(body).toContain(String.raw`colour \u001b[31mred\u001b[0m, title \u001b]0;pwned\u0007`);
    await expectServerStillWorks("throws-escapes");
  });

  test("an app plugin that compiles every .js file gets the app's scripts, never worker-run's prebuilt runtime", async () => {
    const { response, answer } = await run(server, "src/scripts/plain.js");
    expect(answer, response.body).toMatchObject({ ok: true, result: "plain JavaScript" });
    const log = await readFile(path.join(project.dir, "compiled-js.log"), "utf8");
    const compiled = log.split("\n").filter(Boolean);
    // The recording works: it was given the app's own .js script…
    expect(compiled, log).toContain(path.join(realpathSync(project.dir), "src/scripts/plain.js"));
    // …but not the runtime every run goes through, though this linked package lies outside node_modules.
    expect(compiled, log).not.toContain(path.join(REPO_ROOT, "dist/runtime/worker.js"));
  });
});

describe("the launcher prints script-provided escapes safely", () => {
  const SCRIPT = "src/scripts/throws-escapes.ts";

  test("human output: exit 1, the message on stderr without any escape or control byte", async () => {
    const result = await runCliBounded([SCRIPT], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stdout, describeRun(result)).toBe("");
    expect(result.stderr, describeRun(result)).toContain(`TypeError: ${ESCAPES_MESSAGE_STRIPPED}\n`);
    expect(result.stderr, describeRun(result)).toContain("src/scripts/throws-escapes.ts:8:");
    expect(result.stderr, JSON.stringify(result.stderr)).not.toMatch(TERMINAL_CONTROL_RE);
  });

  test("--json: exit 1, stdout is one valid JSON document that keeps the message exactly", async () => {
    const result = await runCliBounded(["--json", SCRIPT], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(1);
    let document: { ok: boolean; error?: SerializedError };
    try {
      document = JSON.parse(result.stdout) as typeof document;
    } catch {
      throw new Error(`Expected stdout to be exactly one JSON document.\n${describeRun(result)}`);
    }
    expect(document.ok, describeRun(result)).toBe(false);
    expect(document.error?.name, describeRun(result)).toBe("TypeError");
    expect(document.error?.message, describeRun(result)).toBe(ESCAPES_MESSAGE);
    // ESC and BEL travel as JSON escapes, so printing the document cannot drive the terminal.
    expect(result.stdout, JSON.stringify(result.stdout)).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(result.stderr, JSON.stringify(result.stderr)).not.toMatch(TERMINAL_CONTROL_RE);
    // The runtime's frames name its file (the module runner names them by a virtual id with a NUL).
    expect(document.error?.stack, describeRun(result)).toContain(`at callScript (${path.join(REPO_ROOT, "dist/runtime/worker.js")}:`);
    expect(document.error?.stack, describeRun(result)).not.toContain("\u0000");
  });

  test("a result holding terminal controls: human stdout carries none of them", async () => {
    // JSON.stringify escapes ESC and BEL but leaves the C1 CSI (U+009B) as it is, and some
    // terminals act on it; all script-provided text in human output must be inert.
    const result = await runCliBounded(["src/scripts/returns-escapes.ts"], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout, describeRun(result)).toContain('"note": "colour ');
    expect(result.stdout, JSON.stringify(result.stdout)).not.toMatch(TERMINAL_CONTROL_RE);
  });
});
