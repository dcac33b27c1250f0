/**
 * A module hook that lets Node keep one copy, not two, of each CommonJS file without a
 * package.json "type" that the dev server's modules import. Such a file's format is unknown
 * until Node reads it, so Node decodes its bytes once to detect the format (it compiles that
 * copy, and V8's compilation cache keeps the result) and once more for the CommonJS loader; the
 * module then holds both for the life of the process. The Cloudflare plugin imports two of
 * these, wrangler (15 MB) and Miniflare (5.7 MB): about 40 MiB of every cold start. Handing
 * Node's own load step the text, decoded once, makes both uses share it (and saves a read).
 *
 * Only the launcher's process registers it (`worker-run` is its own program); `runScript()`,
 * which runs inside someone else's process, never changes how that process loads modules.
 */
import { readFileSync } from "node:fs";
import module from "node:module";

const decoder = new TextDecoder(); // What Node's loader decodes module bytes with (a BOM dropped).

/**
 * The load hook. A file: URL of a .js file that an `import` loads (not `require()`, whose
 * loader reads the file itself) and whose format is still open gets its text read here and
 * passed on in the context, where Node's default load step takes it instead of reading the
 * file. Anything else, or a file that cannot be read (Node then reports it as usual), passes
 * through untouched.
 */
export const loadTypelessSourceOnce: module.LoadHookSync = (url, context, nextLoad) => {
  if (context.format != null || !url.startsWith("file:") || !url.endsWith(".js") || !context.conditions?.includes("import")) {
    return nextLoad(url, context);
  }
  let source: string;
  try {
    source = decoder.decode(readFileSync(new URL(url)));
  } catch {
    return nextLoad(url, context);
  }
  // `source` is not in the hook's documented context, but Node's default load step reads it
  // (a Node that stopped would read the file again, as without this hook).
  return nextLoad(url, { ...context, source } as Parameters<typeof nextLoad>[1]);
};

/** Registers the hook where Node has synchronous module hooks (22.15 and later); false elsewhere. */
export function registerSourceOnceHook(): boolean {
  const register = (module as { registerHooks?: typeof module.registerHooks }).registerHooks;
  if (typeof register !== "function") return false;
  register({ load: loadTypelessSourceOnce });
  return true;
}
