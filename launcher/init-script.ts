import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "jsonc-parser";

/** The first script `--init` writes, and the binding it reads. */
export interface FirstScript {
  /** Relative to the project root. */
  path: string;
  code: string;
  /** What it reads, for the message (`the D1 database DB`). */
  reads: string;
}

const WRANGLER_FILES = ["wrangler.jsonc", "wrangler.json"];

/**
 * A first script that reads one binding the project really has (a D1 database, a KV namespace,
 * an R2 bucket, a Durable Object namespace, a var: the first the Wrangler config declares), typed
 * against the project's `Env` when `wrangler types` generated one. A config in TOML, or inline
 * in the Vite config, gives a script that lists the binding names.
 */
export function firstScript(root: string): FirstScript {
  const config = readWranglerConfig(root);
  const typed = existsSync(path.join(root, "worker-configuration.d.ts"));
  const { body, reads } = readOneBinding(config);
  const code = [
    `/** A first script: ${reads}. Run it with \`npx worker-run hello\`. */`,
    'import { defineScript } from "vite-plugin-worker-run/script";',
    "",
    ...(typed
      ? ["export default defineScript<Env>(async ({ env }) => {"]
      : [
          "// `npx wrangler types` writes worker-configuration.d.ts; then `defineScript<Env>` types env.",
          "export default defineScript<Record<string, any>>(async ({ env }) => {",
        ]),
    ...body.map((line) => `  ${line}`),
    "});",
    "",
  ];
  return { path: "src/scripts/hello.ts", code: code.join("\n"), reads };
}

type RawConfig = Record<string, unknown>;

function readWranglerConfig(root: string): RawConfig {
  for (const name of WRANGLER_FILES) {
    try {
      const parsed: unknown = parse(readFileSync(path.join(root, name), "utf8"), [], { allowTrailingComma: true });
      if (typeof parsed === "object" && parsed !== null) return parsed as RawConfig;
    } catch {
      // Not there: the next name.
    }
  }
  return {};
}

function readOneBinding(config: RawConfig): { body: string[]; reads: string } {
  const first = (key: string, field: string): string | undefined => {
    const list = key === "durable_objects" ? (config.durable_objects as { bindings?: unknown } | undefined)?.bindings : config[key];
    const item = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
    const name = item?.[field];
    return typeof name === "string" && /^[A-Za-z_$][\w$]*$/.test(name) ? name : undefined;
  };
  const d1 = first("d1_databases", "binding");
  if (d1) {
    return {
      reads: `lists the tables of the D1 database ${d1}`,
      body: [`const { results } = await env.${d1}.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();`, "return results.map((row) => row.name);"],
    };
  }
  const kv = first("kv_namespaces", "binding");
  if (kv) return { reads: `lists the first keys of the KV namespace ${kv}`, body: [`const { keys } = await env.${kv}.list({ limit: 10 });`, "return keys.map((key) => key.name);"] };
  const r2 = first("r2_buckets", "binding");
  if (r2) return { reads: `lists the first objects of the R2 bucket ${r2}`, body: [`const { objects } = await env.${r2}.list({ limit: 10 });`, "return objects.map((object) => object.key);"] };
  const durableObject = first("durable_objects", "name");
  if (durableObject) {
    return { reads: `names an object of the Durable Object namespace ${durableObject}`, body: [`return env.${durableObject}.idFromName("hello").toString();`] };
  }
  const vars = config.vars;
  const varName = typeof vars === "object" && vars !== null ? Object.keys(vars).find((name) => /^[A-Za-z_$][\w$]*$/.test(name)) : undefined;
  if (varName) return { reads: `reads the var ${varName}`, body: [`return env.${varName};`] };
  return { reads: "lists the names of the worker's bindings", body: ["return Object.keys(env);"] };
}
