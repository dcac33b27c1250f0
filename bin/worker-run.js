#!/usr/bin/env node
import module from "node:module";

// Node's on-disk cache of compiled code (Node 22.1 and later; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), as Vite's own CLI enables it. A cold run loads Vite, the Cloudflare plugin,
// Miniflare and wrangler's config code, megabytes of JavaScript that V8 would otherwise compile
// again on every run. It has to be on before those modules load, hence the dynamic import.
module.enableCompileCache?.();
await import("../dist/cli.js");
