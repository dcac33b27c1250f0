import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { listScripts } from "../common/script-folders.js";
import { resolveConfigFile } from "./attach.js";
import { isObjectScript } from "./editor-tasks.js";
import { firstScript } from "./init-script.js";
import { mergeTasks } from "./init-tasks.js";
import { addWorkerRun, MANUAL_LINES } from "./init-vite-config.js";

export interface InitOptions {
  root?: string | undefined;
  config?: string | undefined;
  cwd?: string;
  /** Where the report goes (stdout), a line at a time. */
  print(text: string): void;
  /** Where problems go (stderr). */
  error(text: string): void;
}

/**
 * `worker-run --init`: sets an existing Cloudflare Vite app up, and changes nothing when it is
 * set up already: `workerRun()` in the Vite config, a first script in `src/scripts/` when the
 * project has none, worker-run's tasks in `.vscode/tasks.json`. Prints what it changed, file by
 * file, and the command to try next. Exit 2 when the config cannot be edited (the lines to add
 * by hand are printed) or is not a Cloudflare Vite config.
 */
export function runInit(options: InitOptions): number {
  const cwd = options.cwd ?? process.cwd();
  const root = path.resolve(cwd, options.root ?? ".");
  const shown = (file: string): string => path.relative(cwd, file) || file;
  const configFile = resolveConfigFile(root, options.config === undefined ? undefined : path.resolve(cwd, options.config));
  if (!configFile || !existsSync(configFile)) {
    options.error(`worker-run: No Vite config in ${root}. --init sets up an existing Cloudflare Vite app: create vite.config.ts with cloudflare() from @cloudflare/vite-plugin first.`);
    return 2;
  }
  const changes: string[] = [];
  let exitCode = 0;

  const edit = addWorkerRun(readFileSync(configFile, "utf8"));
  if (edit.kind === "no-cloudflare") {
    options.error(`worker-run: No @cloudflare/vite-plugin in ${shown(configFile)}. worker-run runs scripts inside the Cloudflare worker: add cloudflare() to its plugins first.`);
    return 2;
  }
  if (edit.kind === "added") {
    writeFileSync(configFile, edit.code);
    changes.push(`${shown(configFile)}: added workerRun() to the plugins, and its import`);
  } else if (edit.kind === "cannot-edit") {
    exitCode = 2;
    options.error(
      [`worker-run: Left ${shown(configFile)} as it is: ${edit.reason}. Add these two by hand:`, ...MANUAL_LINES.map((line) => `  ${line}`)].join("\n"),
    );
  }

  if (listScripts(root).length === 0) {
    const script = firstScript(root);
    const file = path.join(root, script.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, script.code);
    changes.push(`${shown(file)}: a first script, which ${script.reads}`);
  }

  const tasksPath = path.join(root, ".vscode", "tasks.json");
  const existing = existsSync(tasksPath) ? readFileSync(tasksPath, "utf8") : undefined;
  const tasks = mergeTasks(existing, root, listScripts(root));
  if (tasks.kind === "written") {
    mkdirSync(path.dirname(tasksPath), { recursive: true });
    writeFileSync(tasksPath, tasks.text);
    changes.push(`${shown(tasksPath)}: added the tasks ${tasks.added.map((label) => `"${label}"`).join(", ")}`);
  } else if (tasks.kind === "cannot-edit") {
    options.error(`worker-run: Left ${shown(tasksPath)} as it is: ${tasks.reason}.`);
  }

  options.print(changes.length ? ["Changed:", ...changes.map((change) => `  ${change}`)].join("\n") : "Nothing to change: worker-run is set up here.");
  // A script that runs as it is: not one that needs --do.
  const scripts = listScripts(root);
  const next = scripts.find((script) => !isObjectScript(root, script)) ?? scripts[0];
  if (exitCode === 0 && next) options.print(`Next: npx worker-run ${next.name}`);
  return exitCode;
}
