import type { EnvironmentModuleGraph } from "vite";

/**
 * Drops one run's instance of a script module (`<path>?worker-run=<nonce>`) from an
 * environment's module graph once the run is over. Without this, a long-lived `vite dev`
 * would keep one module per run, and editing a script that once ran would reload the
 * app's worker (a module nobody imports makes Vite reload the environment).
 */
export function forgetRunModule(graph: EnvironmentModuleGraph, id: string): void {
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
