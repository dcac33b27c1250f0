// launcher/object-target.ts: reading `--do <binding>:<name>` and `--do <binding>:id:<hex>`.
import { describe, expect, test } from "vitest";
import { parseObjectTarget } from "../../launcher/object-target.js";

const ID = "a82376c21f789b207afc1ee9060d8d0638229b0fe92da2e2336161c0c12a6a8f";

describe("parseObjectTarget", () => {
  test("a name: everything after the first colon, colons and spaces included", () => {
    expect(parseObjectTarget("COUNTER:user-1")).toEqual({ binding: "COUNTER", name: "user-1" });
    expect(parseObjectTarget("ROOMS:team:42 lobby")).toEqual({ binding: "ROOMS", name: "team:42 lobby" });
  });

  test("an id: 64 hex digits after id:, either case", () => {
    expect(parseObjectTarget(`COUNTER:id:${ID}`)).toEqual({ binding: "COUNTER", id: ID });
    expect(parseObjectTarget(`COUNTER:id:${ID.toUpperCase()}`)).toEqual({ binding: "COUNTER", id: ID.toUpperCase() });
  });

  test("an object form is checked the same way", () => {
    expect(parseObjectTarget({ binding: "COUNTER", name: "a" })).toEqual({ binding: "COUNTER", name: "a" });
    expect(() => parseObjectTarget({ binding: "COUNTER", id: "12" })).toThrow(/is not a Durable Object id/);
  });

  test.each([
    ["COUNTER", '--do takes <binding>:<name> or <binding>:id:<hex>, not "COUNTER" (for example --do COUNTER:user-1).'],
    [":name", '--do: "" is not a binding name (the name of a Durable Object namespace in env, e.g. COUNTER).'],
    ["my-do:x", '--do: "my-do" is not a binding name (the name of a Durable Object namespace in env, e.g. COUNTER).'],
    ["COUNTER:", "--do: the object's name is empty. Use COUNTER:<name> or COUNTER:id:<hex>."],
    [
      "COUNTER:id:xyz",
      '--do: "xyz" is not a Durable Object id: an id is 64 hex digits (what id.toString() gives). For an object by name, use COUNTER:<name>.',
    ],
    [
      `COUNTER:id:${ID}0`,
      `--do: "${ID}0" is not a Durable Object id: an id is 64 hex digits (what id.toString() gives). For an object by name, use COUNTER:<name>.`,
    ],
  ])("%s is a usage error that says what to write", (spec, message) => {
    expect(() => parseObjectTarget(spec)).toThrow(message);
    try {
      parseObjectTarget(spec);
    } catch (error) {
      expect((error as Error).name).toBe("UsageError");
    }
  });
});
