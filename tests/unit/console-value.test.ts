// runtime/describe-value.ts and launcher/console-value.ts: a value described in the worker and
// rebuilt in the launcher prints as Node's REPL prints the original.
import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import { reviveValue } from "../../launcher/console-value.js";
import { describeValue } from "../../runtime/describe-value.js";

/** Through JSON, as it crosses the wire, then rebuilt. */
const roundTrip = (value: unknown): unknown => reviveValue(JSON.parse(JSON.stringify(describeValue(value))));
const shown = (value: unknown): string => inspect(value, { depth: 4 });

describe("describeValue → reviveValue", () => {
  test.each<[string, unknown]>([
    ["a string", "text"],
    ["numbers, NaN, -0, Infinity", [1, Number.NaN, -0, Number.POSITIVE_INFINITY]],
    ["a BigInt", 2n ** 64n],
    ["undefined and null", [undefined, null]],
    ["a Map", new Map<unknown, unknown>([["a", 1], [2, { b: true }]])],
    ["a Set", new Set([1, "two"])],
    ["a Date and a RegExp", [new Date(0), /a+b/gi]],
    ["a plain object", { nested: { deep: [1, 2, { x: "y" }] } }],
    ["a class instance", new (class Point { constructor(readonly x = 1, readonly y = 2) {} })()],
    ["a null-prototype object", Object.assign(Object.create(null) as object, { a: 1 })],
    ["a named function and a class", [function handler() {}, class Thing {}]],
  ])("%s prints as the original", (_name, value) => {
    expect(shown(roundTrip(value))).toBe(shown(value));
  });

  test("an error keeps its name, message and stack", () => {
    const error = new TypeError("bad");
    const revived = roundTrip(error) as Error;
    expect(revived).toBeInstanceOf(Error);
    expect([revived.name, revived.message, revived.stack]).toEqual(["TypeError", "bad", error.stack]);
  });

  test("a cycle stays a cycle", () => {
    const node: Record<string, unknown> = { name: "root" };
    node.self = node;
    const revived = roundTrip(node) as Record<string, unknown>;
    expect(revived.self).toBe(revived);
    expect(shown(revived)).toBe(shown(node));
  });

  test("a Response shows its status, headers and body state", () => {
    const response = new Response("x", { status: 201, headers: { "x-a": "1" } });
    const text = shown(roundTrip(response));
    expect(text).toMatch(/^Response \{\n  status: 201,\n  statusText: '',\n  ok: true,/);
    expect(text).toContain("headers: Headers { 'content-type': 'text/plain;charset=UTF-8', 'x-a': '1' }");
  });

  test("bytes show their first bytes and length; long collections say how many more", () => {
    expect(shown(roundTrip(new Uint8Array([1, 2, 3])))).toBe(shown(new Uint8Array([1, 2, 3])));
    const long = Array.from({ length: 150 }, (_, index) => index);
    const revived = roundTrip(long) as unknown[];
    expect(revived).toHaveLength(101);
    expect(revived.at(-1)).toBe("… 50 more items");
  });

  test("a getter that throws is shown as its error, not a crash", () => {
    const tricky = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    expect((roundTrip(tricky) as { boom: Error }).boom.message).toBe("getter");
  });
});
