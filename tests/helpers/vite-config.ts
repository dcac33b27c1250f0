/** Whether a config's code (its comments aside) calls workerRun(). */
export function usesWorkerRun(config: string): boolean {
  return config
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .includes("workerRun()");
}

/**
 * The config's text with workerRun() and its import removed; throws, naming the config as
 * `name`, if that is not possible.
 */
export function withoutWorkerRun(config: string, name = "this config"): string {
  const stripped = config
    .replace(/^import\s*\{\s*workerRun\s*\}\s*from\s*["'][^"']+["'];?[^\S\n]*\n/m, "")
    .replace(/,\s*workerRun\(\)/g, "")
    .replace(/workerRun\(\)\s*,?\s*/g, "");
  if (/workerRun|vite-plugin-worker-run/.test(stripped)) {
    throw new Error(`Expected to be able to take workerRun() out of ${name}, but it still mentions it:\n${stripped}`);
  }
  return stripped;
}
