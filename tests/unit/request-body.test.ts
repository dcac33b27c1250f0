// runtime/request-body.ts: the shape check of the route's JSON body (a run, a cancel or a ping).
// Pure logic, so it runs in Node.
import { describe, expect, test } from "vitest";
import { parseBody } from "../../runtime/request-body.js";

const SCRIPT = "/app/scripts/seed.ts";

describe("parseBody: accepted shapes", () => {
  test("a run of a script, with only what it needs", () => {
    expect(parseBody({ script: SCRIPT, args: [] })).toStrictEqual({
      script: SCRIPT,
      args: [],
      timeoutMs: undefined,
      stream: undefined,
    });
  });

  test("a run of a script, with every option", () => {
    const body = { script: SCRIPT, args: ["--dry-run", ""], timeoutMs: 1500, stream: true };
    const parsed = parseBody(body);
    expect(parsed).toStrictEqual({ ...body });
    expect(parsed).not.toHaveProperty("eval");
  });

  test("a run of a snippet (eval), which may be empty", () => {
    expect(parseBody({ eval: "1 + 1", args: ["x"], timeoutMs: 0, stream: false })).toStrictEqual({
      eval: "1 + 1",
      args: ["x"],
      timeoutMs: 0,
      stream: false,
    });
    expect(parseBody({ eval: "", args: [] })).toMatchObject({ eval: "" });
    expect(parseBody({ eval: "", args: [] })).not.toHaveProperty("script");
  });

  test("fields it does not know are dropped (the run id travels in a header, not the body)", () => {
    const parsed = parseBody(JSON.parse(`{"script":"${SCRIPT}","args":[],"runId":"r1","owner":7,"token":"secret","__proto__":{"stream":1}}`));
    expect(Object.keys(parsed).sort()).toEqual(["args", "script", "stream", "timeoutMs"]);
  });

  test("a cancel, and nothing else of it is kept", () => {
    expect(parseBody({ cancel: "r1" })).toStrictEqual({ cancel: "r1" });
    expect(parseBody({ cancel: "", extra: 1 })).toStrictEqual({ cancel: "" });
  });

  test("a run inside a Durable Object, by name or by id; a cancel of one", () => {
    expect(parseBody({ script: SCRIPT, args: [], durableObject: { binding: "COUNTER", name: "a" } })).toStrictEqual({
      script: SCRIPT,
      args: [],
      timeoutMs: undefined,
      stream: undefined,
      durableObject: { binding: "COUNTER", name: "a" },
    });
    expect(parseBody({ eval: "1", args: [], durableObject: { binding: "C", id: "ab", extra: 1 } })).toMatchObject({
      durableObject: { binding: "C", id: "ab" },
    });
    expect(parseBody({ cancel: "r1", durableObject: { binding: "C", name: "" } })).toStrictEqual({
      cancel: "r1",
      durableObject: { binding: "C", name: "" },
    });
  });

  test("--migrate: every binding, or one; nothing else of the object is kept", () => {
    expect(parseBody({ migrate: {}, args: [], stream: true })).toStrictEqual({ migrate: {}, args: [], timeoutMs: undefined, stream: true });
    expect(parseBody({ migrate: { binding: "DB", extra: 1 }, args: [] })).toStrictEqual({
      migrate: { binding: "DB" },
      args: [],
      timeoutMs: undefined,
      stream: undefined,
    });
  });

  test("a ping, and nothing else of it is kept", () => {
    expect(parseBody({ ping: true })).toStrictEqual({ ping: true });
  });

  test("a ping wins over a cancel and a run; a cancel wins over a run", () => {
    expect(parseBody({ ping: true, cancel: "r1", script: SCRIPT, args: [] })).toStrictEqual({ ping: true });
    expect(parseBody({ cancel: "r1", script: SCRIPT, args: [] })).toStrictEqual({ cancel: "r1" });
  });
});

describe("parseBody: refused bodies, each with its TypeError", () => {
  const run = { script: SCRIPT, args: [] as unknown };

  test.each<[string, unknown, string]>([
    ["null", null, "The body must be a JSON object."],
    ["a string", "run", "The body must be a JSON object."],
    ["a number", 1, "The body must be a JSON object."],
    ["undefined", undefined, "The body must be a JSON object."],
    ["both script and eval", { script: SCRIPT, eval: "1", args: [] }, 'Give exactly one of "script", "eval" and "migrate".'],
    ["neither script nor eval", { args: [] }, 'Give exactly one of "script", "eval" and "migrate".'],
    ["an empty object", {}, 'Give exactly one of "script", "eval" and "migrate".'],
    ["a script and a migrate", { ...run, migrate: {} }, 'Give exactly one of "script", "eval" and "migrate".'],
    ["a migrate that is true", { migrate: true, args: [] }, '"migrate" must be an object with an optional non-empty "binding".'],
    ["a migrate with an empty binding", { migrate: { binding: "" }, args: [] }, '"migrate" must be an object with an optional non-empty "binding".'],
    ["a migrate with a numeric binding", { migrate: { binding: 1 }, args: [] }, '"migrate" must be an object with an optional non-empty "binding".'],
    ["an empty script", { ...run, script: "" }, '"script" must be a non-empty string.'],
    ["a script that is not a string", { ...run, script: 42 }, '"script" must be a non-empty string.'],
    ["a script that is null", { ...run, script: null }, '"script" must be a non-empty string.'],
    ["an eval that is not a string", { eval: 1, args: [] }, '"eval" must be a string.'],
    ["no args", { script: SCRIPT }, '"args" must be an array of strings.'],
    ["args that is a string", { ...run, args: "--x" }, '"args" must be an array of strings.'],
    ["args with a number", { ...run, args: ["a", 1] }, '"args" must be an array of strings.'],
    ["args with null", { ...run, args: [null] }, '"args" must be an array of strings.'],
    ["a negative timeoutMs", { ...run, timeoutMs: -1 }, '"timeoutMs" must be a non-negative number.'],
    ["a string timeoutMs", { ...run, timeoutMs: "100" }, '"timeoutMs" must be a non-negative number.'],
    ["a NaN timeoutMs", { ...run, timeoutMs: Number.NaN }, '"timeoutMs" must be a non-negative number.'],
    ["an infinite timeoutMs", { ...run, timeoutMs: Number.POSITIVE_INFINITY }, '"timeoutMs" must be a non-negative number.'],
    ["a null timeoutMs", { ...run, timeoutMs: null }, '"timeoutMs" must be a non-negative number.'],
    ["a stream that is not a boolean", { ...run, stream: "true" }, '"stream" must be a boolean.'],
    ["a stream of 1", { ...run, stream: 1 }, '"stream" must be a boolean.'],
    ["a cancel that is not a run id", { cancel: 1 }, '"cancel" must be a run id.'],
    ["a cancel of null", { cancel: null }, '"cancel" must be a run id.'],
    ["a ping that is not true", { ping: "yes" }, '"ping" must be true.'],
    ["a durableObject that is a string", { ...run, durableObject: "COUNTER:a" }, '"durableObject" must name a "binding".'],
    ["a durableObject without a binding", { ...run, durableObject: { name: "a" } }, '"durableObject" must name a "binding".'],
    ["a durableObject with both name and id", { ...run, durableObject: { binding: "C", name: "a", id: "b" } }, '"durableObject" must have exactly one of "name" and "id", a string.'],
    ["a durableObject with neither", { ...run, durableObject: { binding: "C" } }, '"durableObject" must have exactly one of "name" and "id", a string.'],
    ["a durableObject with a numeric name", { ...run, durableObject: { binding: "C", name: 1 } }, '"durableObject" must have exactly one of "name" and "id", a string.'],
    ["a cancel with a bad durableObject", { cancel: "r1", durableObject: {} }, '"durableObject" must name a "binding".'],
    ["a ping of false", { ping: false }, '"ping" must be true.'],
  ])("%s", (_name, input, message) => {
    let thrown: unknown;
    try {
      parseBody(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toBe(message);
  });
});
