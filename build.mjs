// The package's build: one esbuild configuration for every entry; `tsc` checks the types and
// writes the declarations (`npm run build` runs it next). Plain JavaScript so that `npm install`
// (whose `prepare` builds) works on every Node the package supports.
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });

/** What both programs share: ESM, today's syntax, sources kept readable in stack traces. */
const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  outdir: "dist",
  logLevel: "warning",
  legalComments: "none",
};

await Promise.all([
  // The Node side: the package entry (the Vite plugin, `runScript`) and the CLI. Shared code
  // goes to chunks beside them, so the CLI and the user's Vite config load one copy each, and
  // the dev-server start (a dynamic import) loads only when a run needs it. Every chunk lies
  // directly in dist/, which the modules' own `import.meta.url` paths rely on.
  build({
    ...common,
    entryPoints: { index: "index.ts", cli: "launcher/cli.ts" },
    platform: "node",
    packages: "external",
    splitting: true,
    chunkNames: "[name]-[hash]",
  }),
  // The worker side: what the virtual entry imports, one self-contained module (the worker loads
  // it in one module-runner round trip), `defineScript` for scripts, and `applyD1Migrations`
  // (which `--migrate` runs too). None imports Node.
  build({
    ...common,
    entryPoints: { "runtime/worker": "runtime/wrap-entry.ts", "runtime/script": "runtime/script.ts", "runtime/d1": "runtime/d1.ts" },
    platform: "neutral",
  }),
]);
