/**
 * Loaded with `node --import` before bench/run.ts: lets Node (which strips the types itself)
 * follow this repository's import style, `./file.js` for a module written as `./file.ts`.
 * A relative `.js` specifier that names no file but has a `.ts` next to it resolves to that.
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^\.{1,2}\//.test(specifier) && specifier.endsWith(".js") && context.parentURL?.startsWith("file:")) {
      const asWritten = new URL(specifier, context.parentURL);
      const typescript = new URL(specifier.replace(/\.js$/, ".ts"), context.parentURL);
      if (!existsSync(asWritten) && existsSync(typescript)) return nextResolve(typescript.href, context);
    }
    return nextResolve(specifier, context);
  },
});
