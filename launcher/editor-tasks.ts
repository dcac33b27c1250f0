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
 */
export function editorTasks(scripts: readonly ListedScript[]): EditorTask[] {
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
    ...scripts.map((script) => task(`worker-run: ${script.name}`, [script.name], script.description ?? script.path)),
  ];
}

/** A whole `.vscode/tasks.json` for a project that has none. */
export function tasksFile(scripts: readonly ListedScript[]): string {
  return `${JSON.stringify({ version: "2.0.0", tasks: editorTasks(scripts) }, null, 2)}\n`;
}
