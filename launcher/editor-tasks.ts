import { readFileSync } from "node:fs";
import path from "node:path";
import type { ListedScript } from "../common/script-folders.js";

/**
 * The problem matcher of worker-run's tasks: it reads the one line a failed run prints on
 * stderr, `path/to/file.ts:LINE:COL: ErrorName: message` (path relative to the task's folder).
 */
export const PROBLEM_MATCHER = {
  owner: "worker-run",
  source: "worker-run",
  fileLocation: ["autoDetect", "${workspaceFolder}"],
  pattern: {
    regexp: String.raw`^(.+?\.(?:[cm]?[jt]sx?)):(\d+):(\d+): ([A-Za-z_$][\w$]*): (.*)$`,
    file: 1,
    line: 2,
    column: 3,
    code: 4,
    message: 5,
  },
};

/** The prompt a task of a `--do` script asks its Durable Object with (`${input:…}`). */
export const OBJECT_INPUT_ID = "workerRunDurableObject";

/** A VS Code task input (the fields worker-run writes). */
export interface EditorInput {
  id: string;
  type: "promptString";
  description: string;
  default?: string;
}

/** A VS Code task (the fields worker-run writes). */
export interface EditorTask {
  label: string;
  type: "shell";
  command: string;
  args: string[];
  group?: { kind: "build"; isDefault: boolean };
  presentation: { reveal: "always"; panel: "dedicated"; clear: boolean };
  problemMatcher: typeof PROBLEM_MATCHER;
  detail?: string;
}

/**
 * The tasks for a project's scripts: "worker-run: current file" (the default build task, for the
 * script open in the editor), then one per script. `npx worker-run` finds the project's own bin.
 * A script made with `defineObjectScript` runs with `--do`, asked for when the task starts.
 */
export function editorTasks(root: string, scripts: readonly ListedScript[]): EditorTask[] {
  const task = (label: string, args: string[], detail?: string): EditorTask => ({
    label,
    type: "shell",
    command: "npx",
    args: ["worker-run", ...args],
    presentation: { reveal: "always", panel: "dedicated", clear: true },
    problemMatcher: PROBLEM_MATCHER,
    ...(detail === undefined ? {} : { detail }),
  });
  return [
    { ...task("worker-run: current file", ["${file}"], "Runs the open script inside the worker"), group: { kind: "build", isDefault: true } },
    ...scripts.map((script) =>
      task(
        `worker-run: ${script.name}`,
        isObjectScript(root, script) ? ["--do", `\${input:${OBJECT_INPUT_ID}}`, script.name] : [script.name],
        script.description ?? script.path,
      ),
    ),
  ];
}

/** The inputs the tasks ask for: the Durable Object of the `--do` scripts, if there are any. */
export function editorInputs(root: string, scripts: readonly ListedScript[]): EditorInput[] {
  const objectScripts = scripts.filter((script) => isObjectScript(root, script));
  if (!objectScripts.length) return [];
  // A doc comment that shows the command (`--do INVENTORY:main`) gives the default.
  const example = objectScripts.map((script) => /--do (\S+)/.exec(source(root, script))?.[1]).find((spec) => spec !== undefined);
  return [
    {
      id: OBJECT_INPUT_ID,
      type: "promptString",
      description: "The Durable Object to run in: <binding>:<name> or <binding>:id:<hex>",
      ...(example === undefined ? {} : { default: example.replace(/[`'"]+$/, "") }),
    },
  ];
}

/** A whole `.vscode/tasks.json` for a project that has none. */
export function tasksFile(root: string, scripts: readonly ListedScript[]): string {
  const inputs = editorInputs(root, scripts);
  return `${JSON.stringify({ version: "2.0.0", tasks: editorTasks(root, scripts), ...(inputs.length ? { inputs } : {}) }, null, 2)}\n`;
}

/** Whether a script is made with `defineObjectScript`, so it runs only with `--do`. */
export function isObjectScript(root: string, script: ListedScript): boolean {
  return /\bdefineObjectScript\s*[<(]/.test(source(root, script));
}

function source(root: string, script: ListedScript): string {
  try {
    return readFileSync(path.join(root, script.path), "utf8");
  } catch {
    return "";
  }
}
