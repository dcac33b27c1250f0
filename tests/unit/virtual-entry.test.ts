// plugin/virtual-entry.ts: the generated module is glue. It re-exports the user's entry,
// wraps its default export, and interpolates nothing but JSON.
import { parseAst } from "vite";
import { describe, expect, test } from "vitest";
import { createVirtualEntry } from "../../plugin/virtual-entry.js";
import type { EntryOptions } from "../../shared/protocol.js";

const OPTIONS: EntryOptions = {
  tokenDigest: "ab".repeat(32),
  allowedHosts: ["dev.example.test"],
  entryPath: "/app/src/index.ts",
  workerName: "app",
  externalObjects: {},
};
const WRAP = "virtual:worker-run/runtime";

/** The statements of the generated module, as an ESTree AST (Vite's own parser). */
function statements(code: string): Array<Record<string, any>> {
  return parseAst(code).body as unknown as Array<Record<string, any>>;
}

describe("createVirtualEntry", () => {
  test("the whole text for an ordinary entry", () => {
    expect(createVirtualEntry({ userEntryId: "/app/src/index.ts", runtimeModule: WRAP, options: OPTIONS })).toBe(
      [
        'import * as userEntry from "/app/src/index.ts";',
        'import { wrapDefaultExport } from "virtual:worker-run/runtime";',
        'export * from "/app/src/index.ts";',
        `export default wrapDefaultExport(userEntry.default, {"tokenDigest":"${"ab".repeat(32)}","allowedHosts":["dev.example.test"],"entryPath":"/app/src/index.ts","workerName":"app","externalObjects":{}});`,
        "",
      ].join("\n"),
    );
  });

  test("its shape: import the entry, import the wrapper, re-export everything, wrap the default", () => {
    const body = statements(
      createVirtualEntry({ userEntryId: "/app/src/index.ts", runtimeModule: WRAP, options: OPTIONS }),
    );
    expect(body.map((node) => node.type)).toEqual([
      "ImportDeclaration",
      "ImportDeclaration",
      "ExportAllDeclaration",
      "ExportDefaultDeclaration",
    ]);
    expect(body[0]!.specifiers[0].type).toBe("ImportNamespaceSpecifier");
    expect(body[1]!.specifiers[0].imported.name).toBe("wrapDefaultExport");
    const call = body[3]!.declaration;
    expect(call.type).toBe("CallExpression");
    expect(call.callee.name).toBe("wrapDefaultExport");
    expect(call.arguments[0].type).toBe("MemberExpression");
    expect(call.arguments[1].type).toBe("ObjectExpression");
  });

  test.each([
    ["double quotes", '/app/src/we"ird.ts'],
    ["single quotes and backticks", "/app/src/it's `${1}`.ts"],
    ["a code injection attempt", '/app/x.ts"; globalThis.pwned = true; import "/evil.js'],
    ["newlines and a line separator", "/app/a\nb\u2028c.ts"],
    ["backslashes", "C:\\app\\src\\index.ts"],
    ["a \\0 virtual id", "\0virtual:cloudflare/user-entry"],
  ])("an entry id with %s stays one string literal", (_, userEntryId) => {
    const body = statements(createVirtualEntry({ userEntryId, runtimeModule: WRAP, options: OPTIONS }));
    expect(body).toHaveLength(4);
    expect(body[0]!.source.value).toBe(userEntryId);
    expect(body[1]!.source.value).toBe(WRAP);
    expect(body[2]!.source.value).toBe(userEntryId);
  });

  test("the options are data: a JSON object literal equal to the input, whatever the strings hold", () => {
    const options: EntryOptions = {
      tokenDigest: "0f".repeat(32),
      allowedHosts: ['a"b', "</script>", "x\ny"],
      entryPath: '/app/we"ird`${1}`.ts',
      workerName: 'w"orker',
      externalObjects: { FAR: 'else"where' },
    };
    const code = createVirtualEntry({ userEntryId: "/app/src/index.ts", runtimeModule: WRAP, options });
    const call = statements(code)[3]!.declaration;
    const literal = code.slice(call.arguments[1].start, call.arguments[1].end);
    expect(JSON.parse(literal)).toEqual(options);
  });

  test("an odd runtime id is a string literal too", () => {
    const runtimeModule = '/pkg "quoted"/dist/runtime/wrap-entry.js';
    const body = statements(createVirtualEntry({ userEntryId: "/app/src/index.ts", runtimeModule, options: OPTIONS }));
    expect(body[1]!.source.value).toBe(runtimeModule);
  });

  test("Durable Object classes: each is a module export of its own, wrapped, beside the re-export of the rest", () => {
    const code = createVirtualEntry({
      userEntryId: "/app/src/index.ts",
      runtimeModule: WRAP,
      objectClasses: ["Counter", "Shelf"],
      options: OPTIONS,
    });
    const body = statements(code);
    expect(body.map((node) => node.type)).toEqual([
      "ImportDeclaration",
      "ImportDeclaration",
      "ExportAllDeclaration",
      "ExportDefaultDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
    ]);
    expect(body[1]!.specifiers.map((specifier: any) => specifier.imported.name)).toEqual([
      "wrapDefaultExport",
      "wrapDurableObjectClass",
    ]);
    const counter = body[4]!.declaration.declarations[0];
    expect(counter.id.name).toBe("Counter");
    expect(counter.init.callee.name).toBe("wrapDurableObjectClass");
    expect(code.slice(counter.init.arguments[0].start, counter.init.arguments[0].end)).toBe("userEntry.Counter");
    expect(counter.init.arguments[1].value).toBe("Counter");
    expect(body[5]!.declaration.declarations[0].id.name).toBe("Shelf");
  });

  test("class names from a config that are not identifiers (or are 'default') are skipped, never interpolated", () => {
    const code = createVirtualEntry({
      userEntryId: "/app/src/index.ts",
      runtimeModule: WRAP,
      objectClasses: ["Good", "bad-name", "x; globalThis.pwned = 1", "default", "$ok_2"],
      options: OPTIONS,
    });
    const exported = statements(code)
      .filter((node) => node.type === "ExportNamedDeclaration")
      .map((node) => node.declaration.declarations[0].id.name);
    expect(exported).toEqual(["Good", "$ok_2"]);
    expect(code).not.toContain("pwned");
  });
});
