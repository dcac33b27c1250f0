// The types of runtime/script.ts: `options` and `positionals` typed from the declaration.
// `npm run typecheck` checks this file (tests/tsconfig.worker.json); a wrong type fails it.
// Vitest runs it too, so the declared function really is the one returned.
import { describe, expectTypeOf, test, expect } from "vitest";
import {
  defineObjectScript,
  DECLARATION_MARK,
  defineScript,
  OBJECT_SCRIPT_MARK,
  type DeclaredScriptContext,
  type ScriptContext,
} from "../../runtime/script.js";

interface MyEnv {
  DB: D1Database;
}

describe("defineScript(declaration, fn): types", () => {
  test("options and positionals follow the declaration; env is Cloudflare.Env unless named", () => {
    const script = defineScript(
      {
        description: "Backfills a table.",
        options: {
          count: { type: "number", short: "n", default: 10 },
          limit: { type: "number" },
          dryRun: { type: "boolean" },
          mode: { type: "string", choices: ["fast", "safe"], default: "safe" },
          table: { type: "string", required: true },
          tag: { type: "string", multiple: true },
        },
        positionals: [{ name: "source" }, { name: "target", required: false }, { name: "rest", multiple: true }],
      },
      async ({ options, positionals, args, env, progress }) => {
        expectTypeOf(options.count).toEqualTypeOf<number>();
        expectTypeOf(options.limit).toEqualTypeOf<number | undefined>();
        expectTypeOf(options.dryRun).toEqualTypeOf<boolean>();
        expectTypeOf(options.mode).toEqualTypeOf<"fast" | "safe">();
        expectTypeOf(options.table).toEqualTypeOf<string>();
        expectTypeOf(options.tag).toEqualTypeOf<string[]>();
        expectTypeOf(positionals.source).toEqualTypeOf<string>();
        expectTypeOf(positionals.target).toEqualTypeOf<string | undefined>();
        expectTypeOf(positionals.rest).toEqualTypeOf<string[]>();
        expectTypeOf(args).toEqualTypeOf<string[]>();
        expectTypeOf(env).toEqualTypeOf<Cloudflare.Env>();
        expectTypeOf(progress).toEqualTypeOf<(done: number, total?: number, label?: string) => void>();
        // @ts-expect-error: not declared
        void options.other;
        // @ts-expect-error: not declared
        void positionals.other;
        return options.count;
      },
    );
    expectTypeOf(script).parameter(0).toHaveProperty("options");
    expect(typeof script).toBe("function");
  });

  test("another Env by name, after the declaration's type", () => {
    const declaration = { options: { dryRun: { type: "boolean" } } } as const;
    defineScript<typeof declaration, MyEnv>(declaration, async ({ env, options }) => {
      expectTypeOf(env.DB).toEqualTypeOf<D1Database>();
      expectTypeOf(options.dryRun).toEqualTypeOf<boolean>();
    });
    expectTypeOf<DeclaredScriptContext<typeof declaration, MyEnv>>().toMatchTypeOf<ScriptContext<MyEnv>>();
  });

  test("the plain form is unchanged: args, no options", () => {
    defineScript<MyEnv>(async (context) => {
      expectTypeOf(context.args).toEqualTypeOf<string[]>();
      expectTypeOf(context.env).toEqualTypeOf<MyEnv>();
      // @ts-expect-error: a script without a declaration has no options
      void context.options;
    });
  });

  test("defineObjectScript(declaration, fn): options, instance and state; both marks on the function", () => {
    class Counter {
      count = 0;
    }
    const declaration = { options: { by: { type: "number", default: 1 } } } as const;
    const script = defineObjectScript<typeof declaration, MyEnv, Counter>(declaration, async ({ options, instance, state, env }) => {
      expectTypeOf(options.by).toEqualTypeOf<number>();
      expectTypeOf(instance).toEqualTypeOf<Counter>();
      expectTypeOf(state).toEqualTypeOf<DurableObjectState>();
      expectTypeOf(env).toEqualTypeOf<MyEnv>();
    });
    expect((script as unknown as Record<symbol, unknown>)[DECLARATION_MARK]).toBe(declaration);
    expect((script as unknown as Record<symbol, unknown>)[OBJECT_SCRIPT_MARK]).toBe(true);
    // The plain form is unchanged.
    defineObjectScript<MyEnv, Counter>(async ({ instance, args }) => {
      expectTypeOf(instance).toEqualTypeOf<Counter>();
      expectTypeOf(args).toEqualTypeOf<string[]>();
    });
  });

  test("a declaration that is wrong does not compile", () => {
    // @ts-expect-error: "int" is not a type
    defineScript({ options: { n: { type: "int" } } }, async () => {});
  });
});
