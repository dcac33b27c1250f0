import MagicString from "magic-string";
import type { EnvironmentModuleGraph } from "vite";
import { resolveScriptPath } from "../common/script-path.js";
import { CONSOLE_REGISTRY_KEY, RUN_ID_RE, RUN_QUERY, SCRIPT_REFUSED_MARKER, SESSION_RE } from "../shared/protocol.js";
import { createConsoleModule, SESSION_NAMES } from "./console-module.js";
import { consoleModulePath, createEvalModule, evalModulePath } from "./eval-module.js";

/** One run's instance of a script module: `<canonical path>?worker-run=<runId>`. */
export const RUN_INSTANCE_RE = new RegExp(`\\?${RUN_QUERY}=([\\w-]+)$`);

/**
 * The script modules of runs in progress: each run imports its own instance of the script
 * (or of its `--eval` snippet), which gets its own `console` and is dropped from the module
 * graph when the run is over.
 */
export interface RunModules {
  /** Canonicalises and checks `<runId>/<encoded path>`; the module id of that run's instance. Throws a refusal. */
  resolveScript(root: string, rest: string): string;
  /** Stands `<runId>/<encoded code>` in the project's scripts folder; the module id of that snippet. */
  resolveSnippet(root: string, rest: string): string;
  /**
   * The same for `<runId>/<session>/<encoded code>`, an entry of a console session, rewritten
   * with what the session declared so far (`parse`: the dev server's JavaScript parser).
   */
  resolveConsoleEntry(root: string, rest: string, parse: Parameters<typeof createConsoleModule>[2]): string;
  /**
   * Serves `create(text)` as the module of `<runId>/<encoded text>`, under the virtual id `name`
   * (a command of the launcher's own, such as `--migrate`); the module id of that run's instance.
   */
  resolveGenerated(rest: string, name: string, create: (text: string) => string): string;
  /** The code of a snippet module, or undefined for any other id. */
  load(id: string): string | undefined;
  /** Prepends the run's console to its instance of the script module. */
  transform(code: string, id: string): { code: string; map: ReturnType<MagicString["generateMap"]> } | undefined;
  /** Drops a finished run's module from the graphs it may be in. */
  forget(runId: string, graphs: Iterable<EnvironmentModuleGraph>): void;
}

export function createRunModules(): RunModules {
  /** Module ids of the script instances of runs in progress, by run id. */
  const ids = new Map<string, string>();
  /** The code of the snippet modules of runs in progress, by module id. */
  const snippets = new Map<string, string>();
  /** The names each console session has declared, by session id. */
  const sessions = new Map<string, string[]>();
  const remember = (runId: string, id: string): string => {
    ids.set(runId, id);
    return id;
  };
  return {
    resolveScript(root, rest) {
      const { runId, text } = splitRunId(rest);
      const resolved = resolveScriptPath(root, text);
      if (!resolved.ok) throw new Error(SCRIPT_REFUSED_MARKER + resolved.message);
      return remember(runId, `${resolved.path}?${RUN_QUERY}=${runId}`);
    },
    resolveSnippet(root, rest) {
      const { runId, text } = splitRunId(rest);
      const id = `${evalModulePath(root)}?${RUN_QUERY}=${runId}`;
      snippets.set(id, createEvalModule(text));
      return remember(runId, id);
    },
    resolveConsoleEntry(root, rest, parse) {
      const { runId, text } = splitRunId(rest);
      const slash = text.indexOf("/");
      const session = text.slice(0, slash);
      if (slash === -1 || !SESSION_RE.test(session)) throw new Error(SCRIPT_REFUSED_MARKER + "Not a console session.");
      const entry = text.slice(slash + 1);
      const names = sessions.get(session) ?? SESSION_NAMES;
      const rewritten = createConsoleModule(entry, names, parse);
      if (rewritten) sessions.set(session, [...new Set([...names, ...rewritten.declared])]);
      // An entry that does not parse is served as a snippet: Vite reports its syntax error.
      const id = `${consoleModulePath(root)}?${RUN_QUERY}=${runId}`;
      snippets.set(id, rewritten?.code ?? createEvalModule(entry));
      return remember(runId, id);
    },
    resolveGenerated(rest, name, create) {
      const { runId, text } = splitRunId(rest);
      const id = `\0${name}?${RUN_QUERY}=${runId}`;
      snippets.set(id, create(text));
      return remember(runId, id);
    },
    load: (id) => snippets.get(id),
    transform(code, id) {
      const runId = RUN_INSTANCE_RE.exec(id)?.[1];
      return runId === undefined ? undefined : injectRunConsole(code, id, runId);
    },
    forget(runId, graphs) {
      const id = ids.get(runId);
      if (id === undefined) return;
      ids.delete(runId);
      snippets.delete(id);
      for (const graph of graphs) forgetModule(graph, id);
    },
  };
}

/** `<runId>/<encodeURIComponent(text)>` (a console entry: `<runId>/<session>/<encoded>`, the session left in the text); a malformed runId or escape gives an empty text, which is refused. */
function splitRunId(rest: string): { runId: string; text: string } {
  const slash = rest.indexOf("/");
  const runId = rest.slice(0, slash);
  if (!RUN_ID_RE.test(runId)) return { runId: "invalid", text: "" };
  try {
    return { runId, text: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return { runId, text: "" };
  }
}

/**
 * Gives one run's instance of a script module its own `console` (see CONSOLE_REGISTRY_KEY),
 * by prepending one declaration to the first line, so line numbers stay as they are; the
 * source map covers the shifted columns of that line.
 */
function injectRunConsole(
  code: string,
  id: string,
  runId: string,
): { code: string; map: ReturnType<MagicString["generateMap"]> } {
  const lookup = `globalThis[Symbol.for(${JSON.stringify(CONSOLE_REGISTRY_KEY)})]`;
  const source = new MagicString(code);
  source.prepend(`const console = ${lookup}?.(${JSON.stringify(runId)}) ?? globalThis.console;`);
  return { code: source.toString(), map: source.generateMap({ hires: "boundary", source: id, includeContent: true }) };
}

/**
 * Drops one module from an environment's module graph. Without this, a long-lived `vite dev`
 * would keep one module per run, and editing a script that once ran would reload the app's
 * worker (a module nobody imports makes Vite reload the environment).
 */
export function forgetModule(graph: EnvironmentModuleGraph, id: string): void {
  const module = graph.getModuleById(id);
  if (!module) return;
  graph.invalidateModule(module); // Frees its transform result.
  for (const imported of module.importedModules) imported.importers.delete(module);
  graph.idToModuleMap.delete(id);
  for (const [url, candidate] of graph.urlToModuleMap) {
    if (candidate === module) graph.urlToModuleMap.delete(url);
  }
  if (module.file) {
    const siblings = graph.fileToModulesMap.get(module.file);
    siblings?.delete(module);
    if (siblings?.size === 0) graph.fileToModulesMap.delete(module.file);
  }
}
