// runtime/serialize.ts: what crosses the wire from workerd. Pure logic, so it runs in Node too.
import { describe, expect, test } from "vitest";
import { findUnserializable, serializeError } from "../../runtime/serialize.js";

describe("findUnserializable", () => {
  test.each([
    ["null", null],
    ["a number", 42],
    ["a string", "text"],
    ["a boolean", false],
    ["undefined (printed as nothing)", undefined],
    [
      "nested plain data",
      {
        rows: [
          { id: 1, tags: ["a", "b"] },
          { id: 2, tags: [] },
        ],
        total: 2,
      },
    ],
    ["undefined fields, which JSON leaves out", { kept: 1, dropped: undefined, nested: { also: undefined } }],
    ["a Date (through its toJSON)", { at: new Date(0), list: [new Date(1)] }],
    ["an object with its own toJSON", { money: { toJSON: () => "12.50 EUR" } }],
    [
      "the same object twice, not a cycle",
      (() => {
        const shared = { id: 1 };
        return { a: shared, b: [shared, shared] };
      })(),
    ],
  ])("%s is fine", (_, value) => {
    expect(findUnserializable(value)).toBeUndefined();
  });

  test("a BigInt at the top", () => {
    expect(findUnserializable(10n)).toBe("result is a BigInt (10n); return it as a string or a number");
  });

  test("a BigInt deep inside, with its path", () => {
    expect(findUnserializable({ rows: [{ id: 1 }, { id: 2n }] })).toBe(
      "result.rows[1].id is a BigInt (2n); return it as a string or a number",
    );
  });

  test("a key that is not an identifier is quoted in the path", () => {
    expect(findUnserializable({ "user-id": { "0": 3n } })).toBe(
      'result["user-id"]["0"] is a BigInt (3n); return it as a string or a number',
    );
  });

  test("a cycle", () => {
    const node: { name: string; children: unknown[] } = { name: "root", children: [] };
    node.children.push({ parent: node });
    expect(findUnserializable(node)).toBe("result.children[0].parent refers back to one of its parents (a cycle)");
  });

  test("a function, top-level or nested", () => {
    expect(findUnserializable(() => 1)).toBe("result is a function");
    expect(findUnserializable({ handler() {} })).toBe("result.handler is a function");
  });

  test("a symbol", () => {
    expect(findUnserializable({ tag: Symbol("x") })).toBe("result.tag is a symbol");
  });

  test("a Map and a Set, which JSON would silently turn into {}", () => {
    expect(findUnserializable({ byId: new Map([[1, "a"]]) })).toBe(
      "result.byId is a Map, which JSON turns into {}; convert it with Object.fromEntries() or Array.from()",
    );
    expect(findUnserializable([new Set([1])])).toBe(
      "result[0] is a Set, which JSON turns into {}; convert it with Object.fromEntries() or Array.from()",
    );
  });

  test("a toJSON that returns something JSON cannot carry", () => {
    expect(findUnserializable({ id: { toJSON: () => 5n } })).toBe(
      "result.id is a BigInt (5n); return it as a string or a number",
    );
  });

  // Thrown out of findUnserializable, these would reach the route as Vite's 500 HTML page
  // instead of { ok: false, kind: "result" }.
  test("a getter that throws is reported with its path, not thrown", () => {
    const value = {
      get total(): number {
        throw new Error("getter exploded");
      },
    };
    let problem: string | undefined;
    expect(() => (problem = findUnserializable(value))).not.toThrow();
    expect(problem).toContain("result.total");
    expect(problem).toContain("getter exploded");
  });

  test("a toJSON that throws is reported with its path, not thrown", () => {
    const value = {
      amount: {
        toJSON(): never {
          throw new Error("toJSON exploded");
        },
      },
    };
    let problem: string | undefined;
    expect(() => (problem = findUnserializable(value))).not.toThrow();
    expect(problem).toContain("result.amount");
    expect(problem).toContain("toJSON exploded");
  });

  test("whatever it accepts, JSON.stringify can send", () => {
    const value = { at: new Date(0), rows: [{ id: 1, skip: undefined }], shared: [1, 2] };
    expect(findUnserializable(value)).toBeUndefined();
    expect(() => JSON.stringify(value)).not.toThrow();
  });
});

describe("serializeError", () => {
  test("an Error: name, message, stack", () => {
    const error = new RangeError("out of range");
    expect(serializeError(error)).toEqual({ name: "RangeError", message: "out of range", stack: error.stack });
  });

  test("a subclass's name", () => {
    class SeedError extends Error {
      override name = "SeedError";
    }
    expect(serializeError(new SeedError("no rows"))).toMatchObject({ name: "SeedError", message: "no rows" });
  });

  test("an Error with an empty name is called Error", () => {
    const error = new Error("x");
    error.name = "";
    expect(serializeError(error).name).toBe("Error");
  });

  test("the cause chain, recursively", () => {
    const root = new TypeError("socket closed");
    const middle = new Error("query failed", { cause: root });
    const top = new Error("seed failed", { cause: middle });
    expect(serializeError(top)).toEqual({
      name: "Error",
      message: "seed failed",
      stack: top.stack,
      cause: {
        name: "Error",
        message: "query failed",
        stack: middle.stack,
        cause: { name: "TypeError", message: "socket closed", stack: root.stack },
      },
    });
  });

  test("a cause that is not an Error", () => {
    expect(serializeError(new Error("outer", { cause: "a reason" })).cause).toEqual({
      name: "Error",
      message: "a reason (a string was thrown, not an Error)",
    });
  });

  test("a cause cycle stops instead of recursing forever", () => {
    const error = new Error("loop");
    error.cause = error;
    let depth = 0;
    for (let link = serializeError(error).cause; link; link = link.cause) depth++;
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThanOrEqual(10);
  });

  test("a thrown string", () => {
    expect(serializeError("boom")).toEqual({ name: "Error", message: "boom (a string was thrown, not an Error)" });
  });

  test("a thrown number and null", () => {
    expect(serializeError(42)).toEqual({ name: "Error", message: "42 (a number was thrown, not an Error)" });
    expect(serializeError(null)).toEqual({ name: "Error", message: "null (a null was thrown, not an Error)" });
  });

  test("a thrown object is shown as JSON", () => {
    expect(serializeError({ code: 42 }).message).toMatch(/^\{"code":42\} \(an? object was thrown, not an Error\)$/);
  });

  test("a thrown object is described with the right article", () => {
    expect(serializeError({ code: 42 }).message).toBe('{"code":42} (an object was thrown, not an Error)');
  });

  test("a thrown object JSON cannot show (a cycle) still gives a message", () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    expect(serializeError(value).message).toMatch(/^\[object Object\] \(an? object was thrown, not an Error\)$/);
  });

  test("the record is plain JSON", () => {
    const record = serializeError(new Error("outer", { cause: new Error("inner") }));
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});
